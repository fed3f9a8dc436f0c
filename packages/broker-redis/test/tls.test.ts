import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisServer } from "@platoon/testkit/redis-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisBroker } from "../src/index.ts";
import { enc, job, uniqueQueue } from "./helpers.ts";

// A self-signed certificate for 127.0.0.1; skipped where openssl is missing.
const dir = mkdtempSync(join(tmpdir(), "platoon-tls-"));
const certFile = join(dir, "cert.pem");
const keyFile = join(dir, "key.pem");
const made =
  spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]).status === 0;

let server: RedisServer | undefined;
beforeAll(async () => {
  if (made) server = await RedisServer.start({ tls: { certFile, keyFile } });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!made)("rediss://", () => {
  it("works over TLS: commands, blocking reserve, result waiters", async () => {
    expect(server!.url.startsWith("rediss://")).toBe(true);
    const b = createRedisBroker({
      url: server!.url,
      redisOptions: { tls: { ca: readFileSync(certFile) } },
    });
    const q = uniqueQueue("tls");
    const waiting = b.reserve(q, { max: 1, leaseMs: 30_000, waitMs: 15_000 });
    const result = b.waitResult(q, "secure", 15_000);
    await b.enqueue(q, [job("secure")]);
    const [d] = await waiting;
    expect(d?.id).toBe("secure");
    await b.settle(q, [
      { kind: "complete", id: "secure", token: d!.token, result: enc.encode("ok") },
    ]);
    expect((await result)?.status).toBe("completed");
    await b.close();
  });
});
