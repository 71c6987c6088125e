package dev.veilraft.simulator.check;

import static dev.veilraft.simulator.check.Histories.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  private Verdict check(Histories h) {
    return checker.check(h.ops());
  }

  @Test
  void sequentialWritesAndReadsOfTheLastValueAreLinearizable() {
    // Proves the plain case passes: each read returns the write that completed before it.
    Histories h = new Histories().read(0, "k", null, 0, 1).write(0, "k", "a", 2, 3).read(1, "k", "a", 4, 5)
        .write(1, "k", "b", 6, 7).read(0, "k", "b", 8, 9);
    assertThat(check(h).passed()).isTrue();
  }

  @Test
  void aReadConcurrentWithAWriteMayReturnEitherValue() {
    // Proves overlapping operations may be ordered either way: old and new value are both fine.
    Histories old = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .read(2, "k", "a", 3, 4).ok(1, "write", "k", text("b"), 5);
    Histories fresh = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .read(2, "k", "b", 3, 4).ok(1, "write", "k", text("b"), 5);
    assertThat(check(old).passed()).isTrue();
    assertThat(check(fresh).passed()).isTrue();
  }

  @Test
  void aStaleReadAfterACompletedWriteIsNotLinearizable() {
    // Proves a read that begins after a write was acknowledged must not return the value before it.
    Histories h = new Histories().write(0, "k", "a", 0, 1).write(0, "k", "b", 2, 3).read(1, "k", "a", 4, 5);
    Verdict v = check(h);
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("key k").contains("p1 read k -> a");
  }

  @Test
  void aReadOfAValueNeverWrittenIsNotLinearizable() {
    // Proves a read returning a value no operation wrote fails.
    Histories h = new Histories().write(0, "k", "a", 0, 1).read(1, "k", "zzz", 2, 3);
    assertThat(check(h).passed()).isFalse();
  }

  @Test
  void twoSwapsFromTheSameValueCannotBothSucceed() {
    // Proves compare-and-set is modelled: two concurrent a->b and a->c swaps cannot both report success.
    Histories h = new Histories().write(0, "k", "a", 0, 1).cas(1, "k", "a", "b", true, 2, 5)
        .cas(2, "k", "a", "c", true, 3, 6);
    assertThat(check(h).passed()).isFalse();
    Histories oneWins = new Histories().write(0, "k", "a", 0, 1).cas(1, "k", "a", "b", true, 2, 5)
        .cas(2, "k", "a", "c", false, 3, 6).read(0, "k", "b", 7, 8);
    assertThat(check(oneWins).passed()).isTrue();
  }

  @Test
  void aSwapExpectingAbsenceNeedsTheKeyAbsent() {
    // Proves a null expected value means "absent": it cannot succeed after a completed write.
    Histories h = new Histories().write(0, "k", "a", 0, 1).cas(1, "k", null, "b", true, 2, 3);
    assertThat(check(h).passed()).isFalse();
    assertThat(check(new Histories().cas(1, "k", null, "b", true, 0, 1).read(0, "k", "b", 2, 3)).passed()).isTrue();
  }

  @Test
  void anIndeterminateWriteMayTakeEffectLateOrNever() {
    // Proves info ops are optional and open-ended: a read long after may see it, or may never see it.
    Histories seen = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .info(1, "write", "k", text("b"), 3).read(2, "k", "a", 10, 11).read(2, "k", "b", 20, 21);
    Histories never = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .info(1, "write", "k", text("b"), 3).read(2, "k", "a", 10, 11).read(2, "k", "a", 20, 21);
    assertThat(check(seen).passed()).isTrue();
    assertThat(check(never).passed()).isTrue();
  }

  @Test
  void anIndeterminateWriteTakesEffectAtMostOnceInOnePlace() {
    // Proves an info write cannot appear, disappear and appear again: a -> b -> a -> b needs two writes of b.
    Histories h = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .info(1, "write", "k", text("b"), 3).read(2, "k", "b", 10, 11).read(2, "k", "a", 20, 21)
        .read(2, "k", "b", 30, 31);
    assertThat(check(h).passed()).isFalse();
  }

  @Test
  void anInvocationWithoutCompletionIsIndeterminate() {
    // Proves an operation still open at the end of the history is treated as info.
    Histories h = new Histories().write(0, "k", "a", 0, 1).invoke(1, "cas", "k", Histories.cas("a", "b"), 2)
        .read(2, "k", "b", 10, 11);
    assertThat(check(h).passed()).isTrue();
  }

  @Test
  void failedOperationsChangeNothing() {
    // Proves a failed write is left out: a later read may not see its value.
    Histories h = new Histories().write(0, "k", "a", 0, 1).invoke(1, "write", "k", text("b"), 2)
        .fail(1, "write", "k", text("b"), 3).read(2, "k", "b", 4, 5);
    assertThat(check(h).passed()).isFalse();
  }

  @Test
  void keysAreCheckedIndependently() {
    // Proves the per-key decomposition: a violation on one key is found among correct others, and named.
    Histories h = new Histories().write(0, "x", "1", 0, 1).write(0, "y", "1", 2, 3).read(1, "x", "1", 4, 5)
        .write(0, "z", "9", 6, 7).read(1, "z", null, 8, 9);
    Verdict v = check(h);
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).startsWith("key z");
  }

  /**
   * 600 operations on one key from a real register, each taking effect at a point inside its interval,
   * about five in flight at once, some indeterminate; with {@code staleAt} >= 0, the first read from that
   * operation on returns the first acknowledged write's value, overwritten long before it began.
   */
  private static Histories register(long seed, int staleAt) {
    Random random = new Random(seed);
    Histories h = new Histories();
    String state = null;
    boolean staled = false;
    String first = null;
    for (int i = 0; i < 600; i++) {
      long at = 100 + i * 10L;
      long start = at - random.nextInt(25);
      long end = at + 1 + random.nextInt(25);
      double dice = random.nextDouble();
      if (dice < 0.4) {
        boolean stale = staleAt >= 0 && i >= staleAt && !staled;
        staled |= stale;
        h.read(i, "k", stale ? first : state, start, end);
      } else if (dice < 0.9) {
        state = "v" + i;
        first = first == null ? state : first;
        h.write(i, "k", state, start, end);
      } else {
        state = "v" + i;
        h.invoke(i, "write", "k", text(state), start).info(i, "write", "k", text(state), end);
      }
    }
    return h;
  }

  @Test
  void longConcurrentHistoriesOfACorrectRegisterPassQuickly() {
    // Proves the search handles realistic concurrency: 600 overlapping operations with info writes pass.
    for (long seed = 1; seed <= 5; seed++) {
      assertThat(checker.check(register(seed, -1).ops()).passed()).as("seed %d", seed).isTrue();
    }
  }

  @Test
  void oneStaleReadDeepInALongHistoryIsFound() {
    // Proves the search does not just accept long histories: one read returning a long-overwritten value fails.
    for (long seed = 1; seed <= 5; seed++) {
      Verdict v = checker.check(register(seed, 300).ops());
      assertThat(v.passed()).as("seed %d", seed).isFalse();
      assertThat(v.detail()).contains("key k: no order");
    }
  }

  @Test
  void aSearchOverItsBudgetSaysItCannotTell() {
    // Proves the bound: with too few steps the checker answers UNKNOWN, which fails the run rather than passing it.
    Histories h = new Histories();
    for (int p = 0; p < 8; p++) {
      h.invoke(p, "write", "k", text("v" + p), 0);
    }
    for (int p = 0; p < 8; p++) {
      h.ok(p, "write", "k", text("v" + p), 10);
    }
    h.read(9, "k", "v3", 20, 21);
    LinearizabilityChecker tiny = new LinearizabilityChecker(5);
    Verdict v = tiny.check(h.ops());
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("undecided");
  }

  @Test
  void aMalformedCompareAndSetIsReportedNotCrashed() {
    // Proves bad history input gives a verdict naming the operation, not an exception.
    Histories h = new Histories().invoke(0, "cas", "k", text("not-a-pair"), 0).ok(0, "cas", "k", text("x"), 1);
    Verdict v = checker.check(h.ops());
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("cas value must be [expected or null, new]");
  }
}
