import { createHash } from "node:crypto";
import { task } from "@platoon/core";

export interface DigestInput {
  /** The job's index in the run, echoed back so the producer can check the answer. */
  i: number;
  /** A document of text (about 1 KB: worth gzipping). */
  text: string;
  /** SHA-256 rounds over the text: the CPU work per job. */
  rounds: number;
}

export interface DigestOutput {
  i: number;
  /** Hex SHA-256 of the text, re-hashed `rounds` times. */
  sha256: string;
  bytes: number;
  /** Which worker process ran it (its FLEET_WORKER name, else its pid). */
  by: string;
  /** Epoch ms when the task started (to measure the lag from enqueue to start). */
  startedAt: number;
}

const workerName = process.env.FLEET_WORKER ?? `pid-${process.pid}`;

/** The digest the task computes, also used by the producer and tests to check results. */
export function digestOf(text: string, rounds: number): string {
  let digest = createHash("sha256").update(text).digest();
  for (let r = 1; r < rounds; r++) digest = createHash("sha256").update(digest).digest();
  return digest.toString("hex");
}

/** Hashes a text payload and returns a small result. */
export const digest = task(
  "digest",
  (input: DigestInput): DigestOutput => {
    const startedAt = Date.now();
    return {
      i: input.i,
      sha256: digestOf(input.text, input.rounds),
      bytes: input.text.length,
      by: workerName,
      startedAt,
    };
  },
  { attempts: 3 },
);
