import { readFile } from "node:fs/promises";

/**
 * A process's resident set in MB, from /proc/<pid>/status (Linux). Measured from outside,
 * so it works while the child is stuck in a synchronous loop. Undefined where there is
 * no /proc or the process is gone.
 */
export async function residentMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
