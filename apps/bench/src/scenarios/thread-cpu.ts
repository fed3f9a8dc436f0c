import { ThreadExecutor } from "@platoon/executor-thread";
import Piscina from "piscina";
import Tinypool from "tinypool";
import type { Measurement } from "../measure.ts";
import type { Scenario } from "../scenario.ts";
import { peerWorkerFiles, platoonThroughput, throughput } from "./thread-tiny.ts";

const WORKERS = 2;
const FIB = 25;
const FIB_25 = 75025;

const cpu: Scenario = {
  name: "thread-cpu",
  description: `2,000 x fib(${FIB}) on ${WORKERS} worker threads: Platoon vs Piscina, Tinypool`,
  async run(args) {
    const n = Number(args[0] ?? 2_000);
    const name = "thread-cpu";
    const files = peerWorkerFiles(
      "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nfunction task(n) { return fib(n); }",
    );
    const check = (results: unknown[]) => {
      if (!results.every((r) => r === FIB_25)) throw new Error("wrong fib result");
    };
    const out: Measurement[] = [];
    out.push(
      await platoonThroughput(
        name,
        new ThreadExecutor({ size: WORKERS }),
        "fib",
        n,
        () => FIB,
        () => FIB_25,
      ),
    );
    const piscina = new Piscina({ filename: files.esm, minThreads: WORKERS, maxThreads: WORKERS });
    out.push(await throughput(name, "piscina", n, () => piscina.run(FIB), check));
    await piscina.destroy();
    const tinypool = new Tinypool({
      filename: files.esm,
      minThreads: WORKERS,
      maxThreads: WORKERS,
    });
    out.push(await throughput(name, "tinypool", n, () => tinypool.run(FIB), check));
    await tinypool.destroy();
    return out;
  },
};

export default cpu;
