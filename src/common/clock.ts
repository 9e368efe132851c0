import { Global, Inject, Module } from '@nestjs/common';

/** Milliseconds since the epoch. A dependency, so that a test can move time instead of waiting. */
export interface Clock {
  now(): number;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

export const CLOCK = Symbol('CLOCK');
export const InjectClock = () => Inject(CLOCK);

/** One clock object per app instance, so a test can move one app's time without touching another's. */
@Global()
@Module({
  providers: [{ provide: CLOCK, useFactory: (): Clock => new SystemClock() }],
  exports: [CLOCK],
})
export class ClockModule {}
