import {
  type Codec,
  createCodec,
  type ExecuteOutcome,
  type ExecuteRequest,
  type Executor,
  type TaskManifest,
} from "@platoon/core";
import { type TestApi, waitFor } from "./api.ts";

/** The fixture tasks modules shipped with the testkit (plain .mjs: every runtime loads them). */
export const executorFixtures = {
  tasks: new URL("../fixtures/executor-tasks.mjs", import.meta.url).href,
  broken: new URL("../fixtures/broken-tasks.mjs", import.meta.url).href,
};

export interface ExecutorCapabilities {
  /** Ends a task stuck in a synchronous loop at its deadline (threads, processes). */
  canInterruptSyncLoop: boolean;
  /** A task that kills its worker (process.exit) yields a WorkerCrashed fault, and the executor goes on. */
  isolatesCrashes: boolean;
  /**
   * A forced close() ends with Aborted even a task given no signal and no deadline.
   * Default true; the inline executor cannot (it only guards tasks with either).
   */
  closeAbortsPlainTasks?: boolean;
  /** start() rejects with a PlatoonError of code EXECUTOR naming the module when it fails to import. */
  wrapsLoadErrors?: boolean;
}

export interface ExecutorSuiteOptions {
  name: string;
  /** A fresh, unstarted executor. Keep pools small (2 workers) to stay fast. */
  create: () => Executor | Promise<Executor>;
  /**
   * A fresh, unstarted executor with a single worker, for the cases that start and close an
   * executor of their own (close, a broken module): starting workers is the slow part.
   * Default: `create`.
   */
  createSingle?: () => Executor | Promise<Executor>;
  /** A tasks module with the fixture tasks; default executorFixtures.tasks. */
  tasksModule?: string;
  /** A module that throws on import; default executorFixtures.broken. */
  brokenModule?: string;
  capabilities: ExecutorCapabilities;
  /** Tasks in the random-fault test. Default 1000. */
  chaosCount?: number;
  /**
   * A TypeScript tasks module with a `norm({ x, y })` task (testkit's fixtures/ts-tasks.ts),
   * where the runtime under test must load `.ts`; the case is skipped without it.
   */
  typescriptTasksModule?: string;
}

let jobs = 0;

/**
 * What every executor must do: run tasks and encode results, turn every ending into an
 * outcome (never a rejection, never a pending promise), honour deadlines and
 * cancellation, survive crashes where it isolates them, and always close.
 */
export function executorSuite(api: TestApi, options: ExecutorSuiteOptions): void {
  const { describe, it, expect } = api;
  const tasksModule = options.tasksModule ?? executorFixtures.tasks;
  const caps = options.capabilities;

  async function started(
    create = options.create,
  ): Promise<{ executor: Executor; codec: Codec; manifest: TaskManifest }> {
    const codec = await createCodec();
    const executor = await create();
    const manifest = await executor.start({ tasksModule, codec, codecSpec: codec.spec() });
    return { executor, codec, manifest };
  }

  const createSingle = options.createSingle ?? options.create;

  async function using(fn: (ctx: Awaited<ReturnType<typeof started>>) => Promise<void>) {
    const ctx = await started();
    try {
      await fn(ctx);
    } finally {
      await ctx.executor.close();
    }
  }

  // Tests that leave the executor healthy share one (starting workers is the slow part);
  // they compare stats before and after instead of assuming fresh counters.
  let shared: ReturnType<typeof started> | undefined;
  async function usingShared(fn: (ctx: Awaited<ReturnType<typeof started>>) => Promise<void>) {
    if (!api.afterAll) return using(fn);
    shared ??= started();
    await fn(await shared);
  }
  // A worker killed by an earlier test may still be on its way out or back.
  const allIdle = (executor: Executor) =>
    waitFor(() => executor.stats().workers.every((w) => w.state === "idle"), {
      timeoutMs: 15_000,
      what: "every worker idle",
    });
  const total = (executor: Executor, key: "tasks" | "crashes" | "restarts" | "timeouts") =>
    executor.stats().workers.reduce((n, w) => n + w[key], 0);

  async function request(
    codec: Codec,
    task: string,
    input: unknown,
    extra: Partial<ExecuteRequest> = {},
  ): Promise<ExecuteRequest> {
    return {
      jobId: `job-${++jobs}`,
      queue: "suite",
      task,
      payload: await codec.encode(input),
      attempt: 1,
      maxAttempts: 1,
      ...extra,
    };
  }

  async function value(codec: Codec, outcome: ExecuteOutcome): Promise<unknown> {
    if (outcome.status !== "ok") throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    return codec.decode(outcome.result);
  }

  const faultOf = (o: ExecuteOutcome) => (o.status === "error" ? o.error.fault : undefined);

  describe(`executor suite: ${options.name}`, () => {
    api.afterAll?.(async () => {
      if (shared) await (await shared).executor.close();
    });

    it("starts and reports the manifest", async () => {
      await usingShared(async ({ executor, manifest }) => {
        expect(manifest.add1).toEqual({ name: "add1" });
        expect(manifest.slowDefaults).toEqual({
          name: "slowDefaults",
          attempts: 3,
          timeoutMs: 5000,
          backoff: { type: "fixed", delayMs: 10 },
        });
        expect(executor.capacity).toBeGreaterThanOrEqual(1);
        const stats = executor.stats();
        expect(stats.kind).toBe(executor.kind);
        expect(stats.workers.length).toBeGreaterThanOrEqual(1);
      });
    });

    it("runs tasks and returns encoded results", async () => {
      await usingShared(async ({ executor, codec }) => {
        const before = total(executor, "tasks");
        const inputs = Array.from({ length: 500 }, (_, i) => i);
        const outcomes = await Promise.all(
          inputs.map(async (i) => executor.execute(await request(codec, "add1", i))),
        );
        const values = await Promise.all(outcomes.map((o) => value(codec, o)));
        expect(values).toEqual(inputs.map((i) => i + 1));
        const big = { text: "x".repeat(200_000), list: [1, 2, 3] };
        expect(
          await value(codec, await executor.execute(await request(codec, "echo", big))),
        ).toEqual(big);
        const stats = executor.stats();
        expect(total(executor, "tasks") - before).toBe(501);
        for (const w of stats.workers) {
          expect(w.busyRatio).toBeGreaterThanOrEqual(0);
          expect(w.busyRatio).toBeLessThanOrEqual(1);
          expect(w.taskTime.count).toBe(w.tasks);
        }
      });
    });

    it("run(), where offered, calls back with the outcome, never before it returns", async () => {
      await usingShared(async ({ executor, codec }) => {
        if (!executor.run) return;
        const outcomes = await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const req = await request(codec, "add1", i);
            return new Promise<ExecuteOutcome>((resolve, reject) => {
              let returned = false;
              const now = executor.run!(req, (o) => {
                if (!returned) reject(new Error("run() called back before it returned"));
                resolve(o);
              });
              returned = true;
              if (now !== undefined) resolve(now);
            });
          }),
        );
        expect(await Promise.all(outcomes.map((o) => value(codec, o)))).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
      });
    });

    it("encodes no result when the request says nobody reads it (discardResult)", async () => {
      await usingShared(async ({ executor, codec }) => {
        for (const [task, input] of [
          ["add1", 1],
          ["unencodable", null],
        ] as const) {
          const outcome = await executor.execute(
            await request(codec, task, input, { discardResult: true }),
          );
          expect(outcome.status).toBe("ok");
          expect(outcome.status === "ok" && outcome.result.byteLength).toBe(0);
        }
        // Without the flag the result is encoded as usual.
        expect(await value(codec, await executor.execute(await request(codec, "add1", 1)))).toBe(2);
      });
    });

    it("turns a thrown error into an error outcome, an action into an action", async () => {
      await usingShared(async ({ executor, codec }) => {
        const failed = await executor.execute(await request(codec, "fail", { message: "nope" }));
        expect(failed.status).toBe("error");
        if (failed.status === "error") {
          expect(failed.error.name).toBe("TypeError");
          expect(failed.error.message).toBe("nope");
          expect(failed.error.code).toBe("E_FIXTURE");
          expect(failed.error.fault).toBeUndefined();
          expect(failed.error.stack).toContain("nope");
        }
        const retried = await executor.execute(await request(codec, "retryMe", null));
        expect(retried).toEqual({
          status: "action",
          action: { type: "retry", delayMs: 5, reason: "again" },
        });
        const unknown = await executor.execute(await request(codec, "noSuchTask", null));
        expect(faultOf(unknown)).toBe("UnknownTask");
        expect(await value(codec, await executor.execute(await request(codec, "add1", 1)))).toBe(2);
      });
    });

    it("cancels: a pre-aborted request never runs, a running one ends Aborted", async () => {
      await usingShared(async ({ executor, codec }) => {
        const gone = new AbortController();
        gone.abort();
        const pre = await executor.execute(
          await request(codec, "add1", 1, { signal: gone.signal }),
        );
        expect(faultOf(pre)).toBe("Aborted");
        const controller = new AbortController();
        const running = executor.execute(
          await request(codec, "nap", { ms: 20_000 }, { signal: controller.signal }),
        );
        await new Promise((r) => setTimeout(r, 50));
        controller.abort();
        const outcome = await running;
        expect(faultOf(outcome)).toBe("Aborted");
        if (outcome.status === "error") expect(outcome.error.retryable).toBe(false);
        expect(await value(codec, await executor.execute(await request(codec, "add1", 2)))).toBe(3);
      });
    }, 30_000);

    it("ends an async task at its deadline with TaskTimedOut", async () => {
      await usingShared(async ({ executor, codec }) => {
        const t0 = Date.now();
        const outcome = await executor.execute(
          await request(codec, "nap", { ms: 20_000 }, { deadline: Date.now() + 200 }),
        );
        expect(faultOf(outcome)).toBe("TaskTimedOut");
        if (outcome.status === "error") expect(outcome.error.retryable).toBe(true);
        expect(Date.now() - t0).toBeLessThan(5_000);
        expect(await value(codec, await executor.execute(await request(codec, "add1", 3)))).toBe(4);
      });
    }, 30_000);

    it("forwards ctx.enqueue to the request's enqueue", async () => {
      await usingShared(async ({ executor, codec }) => {
        const seen: { task: string; input: unknown }[] = [];
        const outcome = await executor.execute(
          await request(codec, "spawnChild", 41, {
            enqueue: async (task, payload) => {
              seen.push({ task, input: await codec.decode(payload) });
              return "child-1";
            },
          }),
        );
        expect(await value(codec, outcome)).toBe("child-1");
        expect(seen).toEqual([{ task: "add1", input: 41 }]);
      });
    });

    if (caps.canInterruptSyncLoop) {
      it("ends a synchronous infinite loop at its deadline and recovers", async () => {
        await usingShared(async ({ executor, codec }) => {
          await allIdle(executor);
          const before = total(executor, "timeouts");
          const outcome = await executor.execute(
            await request(codec, "hang", null, { deadline: Date.now() + 300 }),
          );
          expect(faultOf(outcome)).toBe("TaskTimedOut");
          expect(await value(codec, await executor.execute(await request(codec, "add1", 5)))).toBe(
            6,
          );
          expect(total(executor, "timeouts") - before).toBe(1);
        });
      }, 30_000);
    }

    if (caps.isolatesCrashes) {
      it("turns a worker that exits into a WorkerCrashed fault and replaces it", async () => {
        await usingShared(async ({ executor, codec }) => {
          await allIdle(executor);
          const crashes = total(executor, "crashes");
          const restarts = total(executor, "restarts");
          const outcome = await executor.execute(await request(codec, "exit", { code: 3 }));
          expect(faultOf(outcome)).toBe("WorkerCrashed");
          if (outcome.status === "error") expect(outcome.error.retryable).toBe(true);
          const after = await Promise.all(
            [1, 2, 3, 4].map(async (i) => executor.execute(await request(codec, "add1", i))),
          );
          expect(await Promise.all(after.map((o) => value(codec, o)))).toEqual([2, 3, 4, 5]);
          expect(total(executor, "crashes") - crashes).toBe(1);
          expect(total(executor, "restarts") - restarts).toBe(1);
        });
      }, 30_000);
    }

    // Last, side by side: the cases with executors of their own, and the chaos run on the
    // shared one (no other case uses it meanwhile). Their time is mostly spent waiting for
    // workers to start, die and be replaced. Runners without describe.concurrent run them
    // one after the other.
    const concurrently =
      (describe as TestApi["describe"] & { concurrent?: TestApi["describe"] }).concurrent ??
      describe;
    concurrently("independent cases", () => {
      it("close(): forced ends running tasks Aborted, later calls are Aborted, close resolves", async () => {
        const { executor, codec } = await started(createSingle);
        const watched = new AbortController();
        const running = [
          executor.execute(await request(codec, "nap", { ms: 20_000 }, { signal: watched.signal })),
        ];
        if (caps.closeAbortsPlainTasks !== false) {
          running.push(executor.execute(await request(codec, "nap", { ms: 20_000 })));
        }
        await new Promise((r) => setTimeout(r, 50));
        await executor.close({ graceful: false });
        for (const outcome of await Promise.all(running)) expect(faultOf(outcome)).toBe("Aborted");
        expect(faultOf(await executor.execute(await request(codec, "add1", 1)))).toBe("Aborted");
        await executor.close();
      }, 30_000);

      it("close({ graceful: true }) lets running tasks finish", async () => {
        const { executor, codec } = await started(createSingle);
        const running = executor.execute(await request(codec, "nap", { ms: 150 }));
        await new Promise((r) => setTimeout(r, 30));
        await executor.close({ graceful: true });
        expect(await value(codec, await running)).toBe(150);
      }, 30_000);

      it("rejects start() when the tasks module throws on import", async () => {
        const codec = await createCodec();
        const executor = await createSingle();
        const broken = options.brokenModule ?? executorFixtures.broken;
        let error: unknown;
        const t0 = Date.now();
        try {
          await executor.start({ tasksModule: broken, codec, codecSpec: codec.spec() });
        } catch (e) {
          error = e;
        } finally {
          await executor.close();
        }
        expect(error).toBeInstanceOf(Error);
        expect(Date.now() - t0).toBeLessThan(15_000);
        const text = `${(error as Error).message} ${String((error as Error & { cause?: Error }).cause?.message ?? "")}`;
        expect(text).toContain("boom on import");
        if (caps.wrapsLoadErrors) {
          expect((error as { code?: string }).code).toBe("EXECUTOR");
          expect((error as Error).message).toContain("broken-tasks");
        }
      }, 30_000);

      if (caps.isolatesCrashes) {
        it("re-runs the jobs that shared a crashing worker alone: only the crasher is charged", async () => {
          // One worker, so all the jobs ride it together (batched, sent ahead).
          const { executor, codec } = await started(createSingle);
          try {
            const outcomes = await Promise.all(
              Array.from({ length: 300 }, async (_, i) =>
                executor.execute(
                  await request(codec, i === 150 ? "exit" : "add1", i === 150 ? { code: 7 } : i),
                ),
              ),
            );
            expect(faultOf(outcomes[150]!)).toBe("WorkerCrashed");
            const innocent = outcomes.filter((_, i) => i !== 150);
            expect(innocent.map(faultOf).filter(Boolean)).toEqual([]);
            const values = await Promise.all(innocent.map((o) => value(codec, o)));
            expect(values).toEqual(
              Array.from({ length: 300 }, (_, i) => i + 1).filter((v) => v !== 151),
            );
            // Its worker died twice: among the others (all suspects), then alone (guilty).
            expect(total(executor, "crashes")).toBe(2);
            expect(executor.stats().queued).toBe(0);
          } finally {
            await executor.close();
          }
        }, 60_000);
      }

      if (options.typescriptTasksModule) {
        const tsModule = options.typescriptTasksModule;
        it("loads a TypeScript tasks module", async () => {
          const codec = await createCodec();
          const executor = await createSingle();
          try {
            await executor.start({ tasksModule: tsModule, codec, codecSpec: codec.spec() });
            expect(
              await value(
                codec,
                await executor.execute(await request(codec, "norm", { x: 6, y: 8 })),
              ),
            ).toBe(10);
          } finally {
            await executor.close();
          }
        }, 30_000);
      }

      it(`settles every one of ${options.chaosCount ?? 1000} tasks with random faults`, async () => {
        await usingShared(async ({ executor, codec }) => {
          // Weights in percent; worker-killing faults are rarer since each costs a respawn.
          const weights: [string, number][] = [
            ["fail", 10],
            ["nap", 10],
            ["cancel", 8],
            ["late", 4],
            ["exit", caps.isolatesCrashes ? 1 : 0],
            ["hang", caps.canInterruptSyncLoop ? 1 : 0],
          ];
          const pick = (r: number) => {
            let edge = 0;
            for (const [kind, weight] of weights) {
              edge += weight / 100;
              if (r < edge) return kind;
            }
            return "ok";
          };
          let seed = 42;
          const random = () => {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            return seed / 2147483648;
          };
          const count = options.chaosCount ?? 1000;
          const planned: string[] = [];
          const outcomes = await Promise.all(
            Array.from({ length: count }, async (_, i) => {
              const kind = pick(random());
              planned.push(kind);
              switch (kind) {
                case "fail":
                  return executor.execute(await request(codec, "fail", { message: `f${i}` }));
                case "nap":
                  return executor.execute(await request(codec, "nap", { ms: 1 }));
                case "cancel": {
                  const c = new AbortController();
                  const p = executor.execute(
                    await request(codec, "nap", { ms: 5 }, { signal: c.signal }),
                  );
                  setTimeout(() => c.abort(), 1);
                  return p;
                }
                case "late":
                  return executor.execute(
                    await request(codec, "nap", { ms: 10_000 }, { deadline: Date.now() + 100 }),
                  );
                case "exit":
                  return executor.execute(await request(codec, "exit", { code: 1 }));
                case "hang":
                  return executor.execute(
                    await request(codec, "hang", null, { deadline: Date.now() + 100 }),
                  );
                default:
                  return executor.execute(await request(codec, "add1", i));
              }
            }),
          );
          const tally: Record<string, number> = {};
          for (const o of outcomes) {
            const key =
              o.status === "error" ? (o.error.fault ?? `error:${o.error.name}`) : o.status;
            tally[key] = (tally[key] ?? 0) + 1;
          }
          const total = Object.values(tally).reduce((a, b) => a + b, 0);
          expect(total).toBe(count);
          const allowed = new Set([
            "ok",
            "error:TypeError",
            "Aborted",
            "TaskTimedOut",
            "WorkerCrashed",
          ]);
          for (const key of Object.keys(tally)) expect(allowed.has(key) ? key : tally).toBe(key);
          const fails = planned.filter((k) => k === "fail").length;
          // A task that failed on its own was not hidden by a fault of its neighbours...
          expect(tally["error:TypeError"] ?? 0).toBeLessThanOrEqual(fails);
          // ...and nothing planned to succeed came back as a task error.
          expect(tally.ok ?? 0).toBeGreaterThan(0);
          // Healthy afterwards: a clean batch all succeeds.
          const after = await Promise.all(
            Array.from({ length: 50 }, async (_, i) =>
              executor.execute(await request(codec, "add1", i)),
            ),
          );
          expect(after.every((o) => o.status === "ok")).toBe(true);
          expect(executor.stats().queued).toBe(0);
        });
      }, 60_000);
    });
  });
}
