package dev.veilraft.node;

import dev.veilraft.crypto.Check;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The audit trail: one line on logger {@value #LOGGER} per membership or key event, with a stable
 * event name and key=value fields ({@code join.rejected node=3f2a… reason=MEASUREMENT_NOT_ALLOWED
 * detail="…"}). The same fields are attached as SLF4J key-value pairs, so the JSON log format
 * carries them as structured data. Only public facts go here: node ids, operators, reasons,
 * epochs, indices, short measurement prefixes; never a key, a secret or an event's content.
 */
public final class Audit {
  public static final String LOGGER = "veilraft.audit";
  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  /** Longest value written; longer ones (free-text details) are cut. */
  static final int VALUE_CHARS_MAX = 300;
  private static final Pattern BARE = Pattern.compile("[A-Za-z0-9._:/@,+\\-\\[\\]]+");

  /** Every audited event, with its stable name and level. */
  public enum Event {
    CLUSTER_INITIALIZED("cluster.initialized", Level.INFO),
    JOIN_HELLO("join.hello", Level.INFO),
    JOIN_REJECTED("join.rejected", Level.WARN),
    JOIN_ADMITTED("join.admitted", Level.INFO),
    MEMBER_ACTIVE("member.active", Level.INFO),
    MEMBER_ADDED("member.added", Level.INFO),
    MEMBER_REMOVED("member.removed", Level.WARN),
    REMOVAL_PENDING("removal.pending", Level.WARN),
    REMOVAL_EXECUTED("removal.executed", Level.WARN),
    EVICTION_BLOCKED("eviction.blocked", Level.ERROR),
    ROLE_CHANGED("role.changed", Level.INFO),
    RAFT_CONFIGURATION("raft.configuration", Level.INFO),
    EPOCH_CHANGED("epoch.changed", Level.INFO),
    ROTATION_DUE("rotation.due", Level.INFO),
    KEY_ROTATED("key.rotated", Level.INFO),
    POLICY_CHANGED("policy.changed", Level.WARN),
    OPERATORS_CHANGED("operators.changed", Level.WARN),
    GOVERNANCE_SUBMITTED("governance.submitted", Level.INFO);

    private final String eventName;
    private final Level level;

    Event(String eventName, Level level) {
      this.eventName = eventName;
      this.level = level;
    }

    public String eventName() {
      return eventName;
    }
  }

  private Audit() {}

  /** Logs {@code event} with {@code fields} given as name, value, name, value, ... */
  public static void log(Event event, Object... fields) {
    Check.argument(fields.length % 2 == 0, "audit fields come in name/value pairs");
    StringBuilder line = new StringBuilder(event.eventName);
    LoggingEventBuilder builder = LOG.atLevel(event.level).addKeyValue("event", event.eventName);
    for (int i = 0; i < fields.length; i += 2) {
      String name = String.valueOf(fields[i]);
      String value = value(fields[i + 1]);
      line.append(' ').append(name).append('=').append(quoted(value));
      builder = builder.addKeyValue(name, value);
    }
    builder.log(line.toString());
  }

  static String value(Object value) {
    String text = String.valueOf(value).replaceAll("[\\p{Cc}\\p{Zl}\\p{Zp}]", "?");
    return text.length() > VALUE_CHARS_MAX ? text.substring(0, VALUE_CHARS_MAX) + "…" : text;
  }

  static String quoted(String value) {
    return BARE.matcher(value).matches() ? value : '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
