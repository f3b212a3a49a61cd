/**
 * `cohort.v1.TrainingPlan` as proto-loader presents it (snake_case fields, defaults filled in): the
 * coordinator builds it and members read it, so both sides name one type.
 */
export interface WireTrainingPlan {
  /** Exactly one of epochs and steps is nonzero. */
  readonly epochs: number;
  readonly steps: number;
  readonly batch_size: number;
  readonly learning_rate: number;
  readonly clip_norm: number;
  readonly example_cap: number;
  /** Adaptive clipping: append the clip indicator word to the protected vector. */
  readonly report_clip_indicator: boolean;
}
