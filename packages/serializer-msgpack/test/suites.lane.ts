import { createCodec, parseHeader } from "@platoon/core";
import { serializerSuite } from "@platoon/testkit";
import { api } from "@platoon/testkit/lane";
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
