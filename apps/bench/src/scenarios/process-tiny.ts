import { ProcessExecutor } from "@platoon/executor-process";
import workerpool from "workerpool";
import type { Measurement } from "../measure.ts";
import type { Scenario } from "../scenario.ts";
import { peerWorkerFiles, platoonThroughput, throughput } from "./thread-tiny.ts";

const WORKERS = 2;

const tiny: Scenario = {
  name: "process-tiny",
  description: `100,000 x+1 tasks on ${WORKERS} child processes: Platoon vs workerpool (process mode)`,
  async run(args) {
    const n = Number(args[0] ?? 100_000);
    const name = "process-tiny";
    const files = peerWorkerFiles("function task(x) { return x + 1; }");
    const out: Measurement[] = [];
    out.push(
      await platoonThroughput(
        name,
        new ProcessExecutor({ size: WORKERS }),
        "add1",
        n,
        (i) => i,
        (i) => i + 1,
      ),
    );
    const wp = workerpool.pool(files.workerpool, { maxWorkers: WORKERS, workerType: "process" });
    out.push(
      await throughput(
        name,
        "workerpool-process",
        n,
        (i) => wp.exec("task", [i]),
        (results) => {
          for (let i = 0; i < results.length; i++)
            if (results[i] !== i + 1) throw new Error(`wrong result at ${i}`);
        },
      ),
    );
    await wp.terminate();
    return out;
  },
};

export default tiny;
