import { executorSuite } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import {
  createCodec,
  type ExecuteOutcome,
  type ExecuteRequest,
  InlineExecutor,
  PlatoonError,
  task,
} from "../src/index.ts";

// Inline runs on the calling thread: it cannot stop a synchronous loop or survive
// process.exit, so those cases are off.
executorSuite(
  { describe, it, expect },
  {
    name: "inline",
    create: () => new InlineExecutor(),
    capabilities: {
      canInterruptSyncLoop: false,
      isolatesCrashes: false,
      wrapsLoadErrors: false,
    },
  },
);

const codec = await createCodec();

describe("InlineExecutor.run (the callback path workers use)", () => {
  const tasks = {
    sync: task("sync", (x: number) => x + 1),
    later: task("later", async (x: number) => x * 2),
    never: task("never", () => new Promise<never>(() => {})),
    fn: task("fn", () => () => "a function json cannot encode"),
    fnLater: task("fnLater", async () => () => "a function json cannot encode"),
  };
  const request = (name: string, input: unknown, extra: Partial<ExecuteRequest> = {}) =>
    ({
      jobId: `j-${name}`,
      queue: "q",
      task: name,
      payload: codec.encode(input) as Uint8Array,
      attempt: 1,
      maxAttempts: 1,
      ...extra,
    }) satisfies ExecuteRequest;
  const started = async () => {
    const ex = new InlineExecutor();
    await ex.start({ tasksModule: tasks, codec, codecSpec: {} });
    return ex;
  };

  it("returns a synchronous task's outcome at once and never calls back", async () => {
    const ex = await started();
    const calls: ExecuteOutcome[] = [];
    const out = ex.run(request("sync", 1), (o) => calls.push(o));
    expect(out?.status).toBe("ok");
    expect(codec.decode((out as { result: Uint8Array }).result)).toBe(2);
    await Promise.resolve();
    expect(calls).toEqual([]);
  });

  it("calls back once, after returning, for an async task", async () => {
    const ex = await started();
    let returned = false;
    const outcome = await new Promise<ExecuteOutcome>((resolve) => {
      const out = ex.run(request("later", 4), (o) => {
        expect(returned).toBe(true);
        resolve(o);
      });
      returned = true;
      expect(out).toBeUndefined();
    });
    expect(outcome.status).toBe("ok");
    expect(codec.decode((outcome as { result: Uint8Array }).result)).toBe(8);
    expect(ex.stats().workers[0]!.tasks).toBe(1);
  });

  it("returns a guarded task's outcome at once too (deadline set, sync task)", async () => {
    const ex = await started();
    const out = ex.run(request("sync", 5, { deadline: Date.now() + 60_000 }), () => {
      throw new Error("no callback expected");
    });
    expect(codec.decode((out as { result: Uint8Array }).result)).toBe(6);
  });

  it("ends a running task with Aborted when closed without grace", async () => {
    const ex = await started();
    const outcome = new Promise<ExecuteOutcome>((resolve) => {
      expect(ex.run(request("never", 0), resolve)).toBeUndefined();
    });
    await ex.close();
    const o = await outcome;
    expect(o.status === "error" && o.error.fault).toBe("Aborted");
  });

  it("skips encoding a result nobody reads (discardResult)", async () => {
    const ex = await started();
    const kept = await ex.execute(request("fn", 0));
    expect(kept.status === "error" && kept.error.code).toBe("CODEC");
    for (const name of ["fn", "fnLater"]) {
      const out = await ex.execute(request(name, 0, { discardResult: true }));
      expect(out).toEqual({ status: "ok", result: new Uint8Array(0) });
    }
  });

  it("throws a typed error when used before start()", () => {
    const ex = new InlineExecutor();
    expect(() => ex.run(request("sync", 1), () => {})).toThrow(PlatoonError);
  });
});
