import type { DestinationStream } from 'pino';

/** Collects what an app logs (`useTestApp({ logDestination })`). */
export class CapturedLog implements DestinationStream {
  private chunks: string[] = [];
  write(chunk: string): void {
    this.chunks.push(chunk);
  }
  get text(): string {
    return this.chunks.join('');
  }
  lines(): string[] {
    return this.text.split('\n').filter((line) => line.length > 0);
  }
  /** The JSON lines (LOG_FORMAT=json) whose `event` is `event`. */
  events(event: string): Record<string, unknown>[] {
    return this.lines()
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.event === event);
  }
}
