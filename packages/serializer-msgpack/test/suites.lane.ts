import { createCodec, parseHeader } from "@platoon/core";
import { serializerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";
import { msgpackSerializer } from "../src/index.ts";
import { msgpackSuiteOptions } from "./suite.options.ts";

serializerSuite(api, { ...msgpackSuiteOptions, numRuns: 50 });

api.describe("msgpack by name", () => {
  api.it("createCodec resolves msgpack + gzip through the registry", async () => {
    const codec = await createCodec({
      serializer: "msgpack",
      compressor: { name: "gzip", threshold: 0 },
    });
    const value = { at: new Date(0), n: 2n ** 70n, m: new Map([[1, new Set(["x"])]]) };
    const bytes = await codec.encode(value);
    api.expect(parseHeader(bytes)).toMatchObject({ serializerId: "msgpack", compressorId: "gzip" });
    api.expect(await codec.decode(bytes)).toStrictEqual(value);
  });
});

api.describe("msgpack serializeAfter", () => {
  api.it("writes the header, then exactly what serialize() writes, at any size", () => {
    const s = msgpackSerializer();
    const header = Uint8Array.from([0xc7, 1, 7, 109, 115, 103, 112, 97, 99, 107, 0]);
    for (const v of [
      { a: 1 },
      { rows: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `row ${i}` })) },
      { file: new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 255) },
    ]) {
      const after = s.serializeAfter!(header, v);
      const plain = s.serialize(v);
      api.expect(after.constructor).toBe(Uint8Array);
      api.expect(after.length).toBe(header.length + plain.length);
      let same = true;
      for (let i = 0; i < header.length; i++) same &&= after[i] === header[i];
      for (let i = 0; i < plain.length; i++) same &&= after[header.length + i] === plain[i];
      api.expect(same).toBe(true);
      const back = s.deserialize(after.subarray(header.length)) as Record<string, unknown>;
      api.expect(Object.keys(back)).toEqual(Object.keys(v));
    }
  });
});
