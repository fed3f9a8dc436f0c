import { createCodec } from "@platoon/core";
import { ThreadExecutor } from "@platoon/executor-thread";
import Piscina from "piscina";
import Tinypool from "tinypool";
import { type Measurement, report, rssMb } from "../measure.ts";
import type { Scenario } from "../scenario.ts";
import { peerWorkerFiles, platoonTasksModule } from "./thread-tiny.ts";

const WORKERS = 2;
const FIB = 25;
const FIB_25 = 75025;
const ROUNDS = 6;

type Run = () => Promise<unknown>;

/**
 * 2,000 x fib(25) on 2 threads. The work is the same recursive fib everywhere, so parity
 * is the physical expectation and the machine's noise is the enemy: the systems take
 * turns in short rounds (order rotated every round) and each is timed over all of its
 * rounds, so a burst of load elsewhere falls on all of them alike.
 */
const cpu: Scenario = {
  name: "thread-cpu",
  description: `2,000 x fib(${FIB}) on ${WORKERS} worker threads: Platoon vs Piscina, Tinypool`,
  async run(args) {
    const n = Number(args[0] ?? 2_000);
    const perRound = Math.max(WORKERS, Math.floor(n / ROUNDS));
    const files = peerWorkerFiles(
      "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nfunction task(n) { return fib(n); }",
    );
    const codec = await createCodec();
    const executor = new ThreadExecutor({ size: WORKERS });
    await executor.start({ tasksModule: platoonTasksModule(), codec, codecSpec: codec.spec() });
    const payload = codec.encode(FIB) as Uint8Array;
    const piscina = new Piscina({ filename: files.esm, minThreads: WORKERS, maxThreads: WORKERS });
    const tinypool = new Tinypool({
      filename: files.esm,
      minThreads: WORKERS,
      maxThreads: WORKERS,
    });
    const systems: [string, Run][] = [
      [
        "platoon-thread",
        async () => {
          const outcome = await executor.execute({
            jobId: "fib",
            queue: "bench",
            task: "fib",
            payload,
            attempt: 1,
            maxAttempts: 1,
          });
          if (outcome.status !== "ok") throw new Error(`task failed: ${JSON.stringify(outcome)}`);
          return codec.decode(outcome.result);
        },
      ],
      ["piscina", () => piscina.run(FIB)],
      ["tinypool", () => tinypool.run(FIB)],
    ];
    const batch = async (run: Run, count: number) => {
      const results = await Promise.all(Array.from({ length: count }, run));
      if (!results.every((r) => r === FIB_25)) throw new Error("wrong fib result");
    };
    try {
      for (const [, run] of systems) await batch(run, WORKERS * 20); // warm up every pool
      const ms = new Map(systems.map(([name]) => [name, 0]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < systems.length; k++) {
          const [name, run] = systems[(round + k) % systems.length]!;
          const t0 = performance.now();
          await batch(run, perRound);
          ms.set(name, ms.get(name)! + performance.now() - t0);
        }
      }
      const out: Measurement[] = [];
      for (const [name] of systems) {
        out.push(
          report({
            scenario: "thread-cpu",
            system: name,
            n: perRound * ROUNDS,
            ops_per_s: ((perRound * ROUNDS) / ms.get(name)!) * 1000,
            p50_ms: null,
            p99_ms: null,
            rss_mb: rssMb(),
            workers: WORKERS,
            rounds: ROUNDS,
          }),
        );
      }
      return out;
    } finally {
      await executor.close();
      await piscina.destroy();
      await tinypool.destroy();
    }
  },
};

export default cpu;
