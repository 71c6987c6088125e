package dev.veilraft.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link Sequences}: a request never acknowledges a sequence that still waits for its response. */
class SequencesTest {
  @Test
  void aRequestAcknowledgesOnlySequencesWhoseResponsesArrived() {
    // Proves the bookkeeping: a request acknowledges everything below the oldest sequence still outstanding, a
    // batch's numbers stay outstanding until each is done, and nothing outstanding acknowledges up to itself.
    Sequences sequences = new Sequences();
    long a = sequences.take(1);
    long batch = sequences.take(3);
    long c = sequences.take(1);
    assertThat(a).isEqualTo(1);
    assertThat(batch).isEqualTo(2);
    assertThat(c).isEqualTo(5);
    assertThat(sequences.acknowledgedFor(c)).isEqualTo(1);
    sequences.done(a);
    assertThat(sequences.acknowledgedFor(c)).isEqualTo(2);
    for (long s = batch; s < batch + 3; s++) {
      sequences.done(s);
    }
    assertThat(sequences.acknowledgedFor(c)).isEqualTo(5);
    sequences.done(c);
    assertThat(sequences.acknowledgedFor(6)).as("nothing outstanding").isEqualTo(6);
  }
}
