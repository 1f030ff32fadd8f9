/**
 * Starting ranges for a redaction (issue 15 §2 and §3): the "others present during the call" marks the officer made
 * (child in view or hearing, another adult, the victim's face not to be shown), offered on the redaction form for the
 * person to accept and adjust. The video feature provides them (`CollateralMarkRanges`, wired in the composition root).
 */
export interface SuggestedRedactionRange {
  /** e.g. child_present, other_adult_present, victim_face_hidden. */
  kind: string;
  /** What the person sees, e.g. "Child in view or hearing". */
  label: string;
  /** Seconds from the start of this item's recording. */
  startSeconds: number;
  endSeconds: number;
}

export interface SuggestedRedactionRanges {
  forItem(evidenceItemId: string): Promise<Array<{ kind: string; label: string; startSeconds: number; endSeconds: number }>>;
}
