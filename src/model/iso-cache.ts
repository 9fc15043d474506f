/**
 * Epoch milliseconds → ISO 8601 text, remembering the last few conversions.
 * `Date#toISOString` costs about a microsecond; a Sparkplug message with
 * hundreds of metrics usually carries one scan timestamp, so hot decoders
 * convert it once instead of once per metric.
 */
export class IsoCache {
  private readonly keys: number[] = [];
  private readonly values: string[] = [];

  constructor(private readonly size = 4) {}

  /** `new Date(ms).toISOString()` for a finite `ms`. */
  iso(ms: number): string {
    const i = this.keys.indexOf(ms);
    if (i >= 0) return this.values[i] as string;
    const v = new Date(ms).toISOString();
    if (this.keys.length >= this.size) {
      this.keys.shift();
      this.values.shift();
    }
    this.keys.push(ms);
    this.values.push(v);
    return v;
  }
}
