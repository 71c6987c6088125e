package dev.veilraft.state.kv;

import dev.veilraft.crypto.Check;
import dev.veilraft.state.proto.KvResponse;

/**
 * The outcome of one kv request: a response, or a refusal with a reason. A refusal is a value,
 * not an exception, so every replica records the same refusal for the same entry.
 *
 * @param ok whether the request was applied
 * @param error why the request was refused; null when {@code ok}
 * @param response the reply; null when refused
 */
public record KvResult(boolean ok, String error, KvResponse response) {
  public KvResult {
    if (ok) {
      Check.argument(error == null && response != null, "an applied kv result has a response and no error");
    } else {
      Check.argument(error != null && !error.isEmpty() && response == null,
          "a refused kv result has an error and no response");
    }
  }

  public static KvResult success(KvResponse response) {
    return new KvResult(true, null, response);
  }

  public static KvResult refused(String error) {
    return new KvResult(false, error, null);
  }
}
