package dev.veilraft.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which failed answers the SDK sends again (with backoff): exactly those after which a resend is safe. */
class RetryableAnswersTest {
  @Test
  void answersThatLeaveTheRequestUnappliedOrExactlyOnceAreRetried() {
    // Proves NODE_BUSY (nothing proposed) and GROUP_ANSWERS_FULL (committed, not applied) are retried like
    // COMMIT_FAILED and a lost connection, and that refusals a resend cannot fix are not.
    for (String code : new String[] {"NODE_BUSY", "GROUP_ANSWERS_FULL", "COMMIT_FAILED", "UNKNOWN_EPOCH", "NOT_READY",
        "UNREACHABLE"}) {
      assertThat(VeilraftClient.retryable(new ClientException(code, "x"))).as(code).isTrue();
    }
    assertThat(VeilraftClient.retryable(new IOException("connection reset"))).isTrue();
    for (String code : new String[] {"MALFORMED_REQUEST", "EVENT_TOO_LARGE", "WRONG_CLUSTER", "UNDECRYPTABLE_EVENT",
        "BAD_RESPONSE", "SEAL_FAILED"}) {
      assertThat(VeilraftClient.retryable(new ClientException(code, "x"))).as(code).isFalse();
    }
  }
}
