import { gzip } from "@platoon/compressor-fflate";
import {
  AdapterRegistry,
  Codec,
  createClient,
  createWorker,
  jsonSerializer,
  MemoryBroker,
  parseHeader,
  task,
} from "@platoon/core";
import { waitFor } from "@platoon/testkit";
import { describe, expect, it } from "vitest";
import { msgpackSerializer } from "../src/index.ts";

const tasks = {
  echo: task("echo", (input: { n: number; at: Date; big: bigint }) => ({
    n: input.n,
    // Proves the value arrived whole whichever codec carried it.
    kinds: [input.at instanceof Date, typeof input.big],
  })),
};

describe("mixed fleet on the memory broker", () => {
  it("a producer switches from json to msgpack+gzip while a worker drains the old jobs", async () => {
    const broker = new MemoryBroker();
    const registry = new AdapterRegistry();
    const jsonCodec = new Codec({ serializer: jsonSerializer, registry });
    const msgpackGzipCodec = new Codec({
      serializer: msgpackSerializer(),
      compressor: gzip({ level: 6 }),
      threshold: 64,
      registry,
    });
    const before = await createClient<typeof tasks>({ broker, codec: jsonCodec });
    const after = await createClient<typeof tasks>({ broker, codec: msgpackGzipCodec });
    const input = (n: number) => ({
      n,
      at: new Date(n),
      big: BigInt(n) ** 5n,
      pad: "x".repeat(100),
    });
    const old = await Promise.all(
      Array.from({ length: 20 }, (_, n) => before.enqueue("echo", input(n))),
    );
    const fresh = await Promise.all(
      Array.from({ length: 20 }, (_, n) => after.enqueue("echo", input(100 + n))),
    );
    // The worker is configured for json only: msgpack+gzip jobs decode by their header.
    const worker = await createWorker({
      broker,
      tasks,
      codec: new Codec({ serializer: jsonSerializer, registry }),
    });
    await worker.start();
    try {
      const results = await Promise.all(
        [...old, ...fresh].map((h) => h.result({ timeoutMs: 10_000 })),
      );
      expect(results.map((r) => r.n)).toEqual([
        ...Array.from({ length: 20 }, (_, n) => n),
        ...Array.from({ length: 20 }, (_, n) => 100 + n),
      ]);
      for (const r of results) expect(r.kinds).toEqual([true, "bigint"]);
      expect(worker.metrics().completed).toBe(40);
      // What was on the wire really was mixed.
      const header = parseHeader((await msgpackGzipCodec.encode(input(1))) as Uint8Array);
      expect(header).toMatchObject({ serializerId: "msgpack", compressorId: "gzip" });
    } finally {
      await worker.stop();
      await broker.close();
    }
  });

  it("a worker lacking a job's codec dead-letters it, naming the missing package", async () => {
    const broker = new MemoryBroker();
    const producer = await createClient<typeof tasks>({
      broker,
      codec: new Codec({ serializer: msgpackSerializer(), registry: new AdapterRegistry() }),
    });
    const handle = await producer.enqueue("echo", { n: 1, at: new Date(0), big: 1n });
    // This worker's registry cannot import any adapter package, as if not installed.
    const bare = new AdapterRegistry({
      importer: (specifier) => Promise.reject(new Error(`Cannot find package '${specifier}'`)),
    });
    const worker = await createWorker({
      broker,
      tasks,
      codec: new Codec({ serializer: jsonSerializer, registry: bare }),
      logger: { warn() {}, error() {} },
    });
    await worker.start();
    try {
      const dead = await waitFor(
        async () => {
          const list = await broker.listDead("default");
          return list.length > 0 ? list : undefined;
        },
        { what: "the job to be dead-lettered" },
      );
      expect(dead[0]!.id).toBe(handle.id);
      expect(dead[0]!.error.message).toMatch(/msgpack/);
      expect(dead[0]!.error.message).toMatch(/@platoon\/serializer-msgpack/);
      await expect(handle.result({ timeoutMs: 5_000 })).rejects.toThrow(
        /@platoon\/serializer-msgpack/,
      );
    } finally {
      await worker.stop();
      await broker.close();
    }
  });
});
