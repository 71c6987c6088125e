package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Audit field values cannot forge audit lines. */
class AuditTest {
  @Test
  void lineBreaksOfEveryKindAreMaskedInFieldValues() {
    // Proves a value carrying ASCII controls or the Unicode line/paragraph separators (which some log processors
    // split on) cannot start a new, forged line in a text log.
    assertThat(Audit.value("a\nb\rc\u0085d\u2028e\u2029f\u001bg")).isEqualTo("a?b?c?d?e?f?g");
  }
}
