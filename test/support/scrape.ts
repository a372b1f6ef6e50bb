import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

/** One scrape of `/metrics`, parsed by an independent Prometheus text parser. */
export interface Scrape {
  families: MetricFamily[];
  /**
   * The sample of `name` whose labels include `labels`: a counter's or gauge's value, a
   * histogram's count; 0 when there is none (a labelled series appears on first use). A name
   * the scrape lacks altogether is an error.
   */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's sum. */
  sum(name: string, labels?: Record<string, string>): number;
}

export async function scrape(url: string, token?: string): Promise<Scrape> {
  const response = await fetch(`${url}/metrics`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  if (!response.headers.get('content-type')?.startsWith('text/plain')) {
    throw new Error(`GET /metrics is ${response.headers.get('content-type')}`);
  }
  const text = await response.text();
  const families = parsePrometheusTextFormat(text);
  // The parser folds a histogram's label sets into one sample (prom2json's shape fits only
  // unlabelled ones); read as untyped, each `_count` and `_sum` series is a family of its own.
  const untyped = parsePrometheusTextFormat(
    text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'),
  );
  const sample = (name: string, labels: Record<string, string>) => {
    if (!families.some((f) => f.name === name)) throw new Error(`no series ${name} in the scrape`);
    const histogram = families.find((f) => f.name === name)?.type === 'HISTOGRAM';
    // A histogram's series come label set by label set: the same name opens several families.
    const found = untyped
      .filter((f) => f.name === (histogram ? `${name}_count` : name))
      .flatMap((f) => f.metrics)
      .find((one) => Object.entries(labels).every(([key, value]) => one.labels?.[key] === value));
    return Number(found?.value ?? 0);
  };
  return {
    families,
    value: (name, labels = {}) => sample(name, labels),
    sum(name, labels = {}) {
      const found = untyped
        .filter((f) => f.name === `${name}_sum`)
        .flatMap((f) => f.metrics)
        .find((one) => Object.entries(labels).every(([key, value]) => one.labels?.[key] === value));
      return Number(found?.value ?? 0);
    },
  };
}
