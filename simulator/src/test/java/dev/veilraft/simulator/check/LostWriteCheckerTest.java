package dev.veilraft.simulator.check;

import static dev.veilraft.simulator.check.Histories.text;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LostWriteCheckerTest {
  private final LostWriteChecker checker = new LostWriteChecker();

  @Test
  void theLastAcknowledgedWriteSurvives() {
    // Proves the plain case: the final read returns the last acknowledged write.
    Histories h = new Histories().write(0, "k", "a", 0, 1).write(0, "k", "b", 2, 3).finalRead(9, "k", "b", 10, 11);
    assertThat(checker.check(h.ops()).passed()).isTrue();
  }

  @Test
  void aValueOverwrittenByALaterAcknowledgedWriteMayNotComeBack() {
    // Proves a rollback is caught: b was acknowledged after a completed, yet the key ends at a.
    Histories h = new Histories().write(0, "k", "a", 0, 1).write(1, "k", "b", 2, 3).finalRead(9, "k", "a", 10, 11);
    Verdict v = checker.check(h.ops());
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("p1 write k := b").contains("is lost");
  }

  @Test
  void concurrentAcknowledgedWritesMayEndEitherWay() {
    // Proves concurrent writes have no order to violate: either may be the final value.
    Histories a = new Histories().write(0, "k", "a", 0, 5).write(1, "k", "b", 1, 6).finalRead(9, "k", "a", 10, 11);
    Histories b = new Histories().write(0, "k", "a", 0, 5).write(1, "k", "b", 1, 6).finalRead(9, "k", "b", 10, 11);
    assertThat(checker.check(a.ops()).passed()).isTrue();
    assertThat(checker.check(b.ops()).passed()).isTrue();
  }

  @Test
  void aKeyThatReadsAbsentLostItsAcknowledgedWrites() {
    // Proves an empty final read after an acknowledged write fails.
    Histories h = new Histories().write(0, "k", "a", 0, 1).finalRead(9, "k", null, 10, 11);
    assertThat(checker.check(h.ops()).detail()).contains("reads absent");
  }

  @Test
  void anIndeterminateWriteMayBeTheFinalValue() {
    // Proves an info write that did take effect is a legitimate final value, even after acknowledged writes.
    Histories h = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .info(1, "write", "k", text("b"), 3).write(0, "k", "c", 4, 5).finalRead(9, "k", "b", 10, 11);
    assertThat(checker.check(h.ops()).passed()).isTrue();
  }

  @Test
  void aSwapCountsAsAnAcknowledgedWrite() {
    // Proves a successful compare-and-set is protected like a write.
    Histories h = new Histories().write(0, "k", "a", 0, 1).cas(1, "k", "a", "b", true, 2, 3)
        .finalRead(9, "k", "a", 10, 11);
    assertThat(checker.check(h.ops()).passed()).isFalse();
  }

  @Test
  void aFinalValueNobodyWroteIsReported() {
    // Proves corruption is caught: the final value must be one some operation wrote.
    Histories h = new Histories().write(0, "k", "a", 0, 1).finalRead(9, "k", "garbage", 10, 11);
    assertThat(checker.check(h.ops()).detail()).contains("no operation ever wrote");
  }

  @Test
  void everyFinalReadCounts() {
    // Proves final reads through several nodes are each checked: one node serving an old value fails the run.
    Histories h = new Histories().write(0, "k", "a", 0, 1).write(0, "k", "b", 2, 3).finalRead(8, "k", "b", 10, 11)
        .finalRead(9, "k", "a", 12, 13);
    assertThat(checker.check(h.ops()).passed()).isFalse();
  }

  @Test
  void aWrittenKeyWithoutAFinalReadCannotBeConfirmed() {
    // Proves the checker does not pass silently when the final phase skipped a key.
    Histories h = new Histories().write(0, "k", "a", 0, 1).write(0, "j", "b", 2, 3).finalRead(9, "k", "a", 10, 11);
    Verdict v = checker.check(h.ops());
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("no final read").contains("j");
  }
}
