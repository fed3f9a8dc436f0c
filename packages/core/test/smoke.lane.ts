import { createCodec, jsonSerializer } from "@platoon/core";
import { api } from "@platoon/testkit/lane";

const { describe, it, expect } = api;
describe("lane smoke", () => {
  it("round trips", async () => {
    const codec = await createCodec();
    const bytes = await codec.encode({ a: new Date(0), b: 1n, m: new Map([[1, 2]]) });
    expect(await codec.decode(bytes)).toEqual({ a: new Date(0), b: 1n, m: new Map([[1, 2]]) });
    expect(jsonSerializer.id).toBe("json");
  });
});
