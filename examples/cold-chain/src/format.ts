/** `2026-03-02 21:10Z`: a UTC time to the minute. */
export function utcMinute(ts: number): string {
  return `${new Date(ts).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** `21:10Z`: the UTC time of day to the minute. */
export function utcTime(ts: number): string {
  return `${new Date(ts).toISOString().slice(11, 16)}Z`;
}

/** `1 h 35 min`, `40 min`. */
export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** `4.6 °C`. */
export function celsius(value: number): string {
  return `${value.toFixed(1)} °C`;
}
