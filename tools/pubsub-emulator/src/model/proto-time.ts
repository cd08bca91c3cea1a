/** `google.protobuf.Duration` / `Timestamp` as proto-loader hands them over (int64 loaded as number). */
export interface ProtoDuration {
  seconds?: number | string | null;
  nanos?: number | null;
}

export type ProtoTimestamp = ProtoDuration;

export function durationToMs(duration: ProtoDuration | null | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(duration.seconds ?? 0) * 1000 + Math.floor((duration.nanos ?? 0) / 1_000_000);
}

export function msToDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export const msToTimestamp = msToDuration;
