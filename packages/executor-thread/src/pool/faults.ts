import type { ErrorInfo, ExecuteOutcome, FaultKind } from "@platoon/core";

/** An attempt the executor ended, not the task. Only a cancelled one is not worth a retry. */
export function fault(
  kind: FaultKind,
  message: string,
  extra?: Partial<ErrorInfo>,
): ExecuteOutcome {
  return {
    status: "error",
    error: { name: kind, message, fault: kind, retryable: kind !== "Aborted", ...extra },
  };
}
