import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** Lets a transaction ask the canary monitor to check now (on entering CANARY_MONITORING). */
@Injectable()
export class CanaryWakeup {
  readonly due = new Subject<string>();
}
