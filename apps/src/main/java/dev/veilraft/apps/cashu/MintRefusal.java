package dev.veilraft.apps.cashu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mint refused a request: a Cashu error code and a detail naming what was wrong. The same
 * refusal travels from the replicated app to the front end as the app's message
 * {@code "[code] detail"} ({@link #toAppMessage}, {@link #fromAppMessage}), so both must stay
 * deterministic and must not echo secrets.
 */
public final class MintRefusal extends Exception {
  private static final long serialVersionUID = 1L;
  private static final Pattern APP_MESSAGE = Pattern.compile("\\[(\\d{5})\\] (.*)", Pattern.DOTALL);

  private final MintError error;

  public MintRefusal(MintError error, String detail) {
    super(detail, null, false, false);
    this.error = error;
  }

  public MintError error() {
    return error;
  }

  public String detail() {
    return getMessage();
  }

  /** The app's refusal message carrying this refusal. */
  public String toAppMessage() {
    return "[" + error.code() + "] " + getMessage();
  }

  /** Reads a refusal back from an app message; null when the message is not one (another layer refused). */
  public static MintRefusal fromAppMessage(String message) {
    if (message == null) {
      return null;
    }
    Matcher m = APP_MESSAGE.matcher(message);
    if (!m.matches()) {
      return null;
    }
    MintError error = MintError.byCode(Integer.parseInt(m.group(1)));
    return error == null ? null : new MintRefusal(error, m.group(2));
  }
}
