import { MemoryBroker, type Settlement, type SettleResult } from "@platoon/core";
import { describe, expect, it } from "vitest";
import { brokerSuite, type TestApi } from "../src/index.ts";

/** Records a suite's cases instead of registering them, so a test can run them by hand. */
function recordSuite(register: (api: TestApi) => void) {
  const cases = new Map<string, () => unknown>();
  const afterAll: (() => unknown)[] = [];
  register({
    describe: (_name, fn) => fn(),
    it: (name, fn) => void cases.set(name, fn),
    expect,
    afterAll: (fn) => void afterAll.push(fn),
  });
  return { cases, cleanup: () => Promise.all(afterAll.map((fn) => fn())) };
}

/** A broker that accepts settles with any token: the zombie bug the suite must catch. */
class TrustingBroker extends MemoryBroker {
  override async settle(_queue: string, settlements: Settlement[]): Promise<SettleResult[]> {
    return settlements.map((s) => ({ id: s.id, ok: true }));
  }
}

/** A broker that forgets a delivery after the first reserve: it loses jobs. */
class LeakyBroker extends MemoryBroker {
  #first = true;
  override async reserve(...args: Parameters<MemoryBroker["reserve"]>) {
    const got = await super.reserve(...args);
    if (this.#first && got.length > 0) {
      this.#first = false;
      return got.slice(1);
    }
    return got;
  }
}

describe("the broker suite catches broken brokers", () => {
  it("passes the memory broker's token check and fails a broker that trusts any token", async () => {
    const good = recordSuite((api) =>
      brokerSuite(api, { name: "memory", create: () => new MemoryBroker() }),
    );
    const bad = recordSuite((api) =>
      brokerSuite(api, { name: "trusting", create: () => new TrustingBroker() }),
    );
    const name = "refuses a settle or extend with a wrong token";
    await good.cases.get(name)!();
    await expect(bad.cases.get(name)!()).rejects.toThrow();
    await Promise.all([good.cleanup(), bad.cleanup()]);
  });

  it("fails a broker that loses a job", async () => {
    const bad = recordSuite((api) =>
      brokerSuite(api, { name: "leaky", create: () => new LeakyBroker() }),
    );
    await expect(
      bad.cases.get("delivers in FIFO order with attempt 1, payload intact and a lease token")!(),
    ).rejects.toThrow();
    await bad.cleanup();
  });
});
