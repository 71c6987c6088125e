package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.state.app.AppException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bytes between the relay's front end ({@link NostrRelay}) and the replicated app ({@link
 * NostrRelayApp}). Requests and responses travel sealed through the log; these formats are part of
 * the cluster's code.
 *
 * <pre>
 * publish request  = 0x01 ‖ event JSON (UTF-8)
 * query request    = 0x02 ‖ u8 n ‖ n × viewer pubkey(32) ‖ JSON array of filters (UTF-8)
 * publish response = 0x01 ‖ u8 flags (1 accepted, 2 broadcast) ‖ id(32) ‖ u16 len ‖ OK message ‖
 *                    [u32 len ‖ canonical event JSON]   (when broadcast)
 * query response   = 0x01 ‖ u16 len ‖ cut reason ("" when complete) ‖ u32 n ‖
 *                    n × (id(32) ‖ u32 len ‖ canonical event JSON), newest first
 * </pre>
 */
public final class RelayWire {
  static final byte PUBLISH = 0x01;
  static final byte QUERY = 0x02;
  static final byte RESPONSE_VERSION = 0x01;
  private static final int ACCEPTED = 1;
  private static final int BROADCAST = 2;

  private RelayWire() {}

  /** A publish request carrying {@code eventJson}. */
  public static byte[] publish(String eventJson) {
    byte[] json = eventJson.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + json.length).put(PUBLISH).put(json).array();
  }

  /** A query for {@code filters}, made on behalf of the NIP-42 authenticated {@code viewers}. */
  public static byte[] query(List<String> viewers, List<Filter> filters) {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < filters.size(); i++) {
      json.append(i == 0 ? "" : ",").append(filters.get(i).toJson());
    }
    byte[] filterBytes = json.append(']').toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(2 + 32 * viewers.size() + filterBytes.length).put(QUERY)
        .put((byte) viewers.size());
    viewers.forEach(viewer -> out.put(NostrJson.unhex(viewer)));
    return out.put(filterBytes).array();
  }

  /** A decoded query request. */
  record Query(List<String> viewers, List<Filter> filters) {}

  /** Reads a query request; every filter's limit is clamped to {@link NostrLimits#queryLimitMax}. */
  static Query readQuery(byte[] request) throws AppException {
    if (request.length < 2 || request[0] != QUERY) {
      throw new AppException("invalid: nostr query must start with 0x02; requests that change state are sent, not queried");
    }
    int viewers = Byte.toUnsignedInt(request[1]);
    if (viewers > NostrLimits.queryViewersMax || request.length < 2 + 32 * viewers) {
      throw new AppException("invalid: nostr query names " + viewers + " viewers; at most "
          + NostrLimits.queryViewersMax + " of 32 bytes each");
    }
    List<String> viewerKeys = new ArrayList<>(viewers);
    for (int i = 0; i < viewers; i++) {
      viewerKeys.add(NostrJson.hex(Arrays.copyOfRange(request, 2 + 32 * i, 2 + 32 * (i + 1))));
    }
    JsonNode array;
    try {
      array = NostrJson.read(Arrays.copyOfRange(request, 2 + 32 * viewers, request.length));
    } catch (NostrJson.NostrJsonException e) {
      throw new AppException("invalid: nostr query filters are " + e.getMessage());
    }
    if (!array.isArray() || array.isEmpty() || array.size() > NostrLimits.queryFiltersMax) {
      throw new AppException("invalid: nostr query must hold 1.." + NostrLimits.queryFiltersMax + " filters");
    }
    List<Filter> filters = new ArrayList<>(array.size());
    for (JsonNode node : array) {
      try {
        filters.add(Filter.fromJson(node).clampLimit(NostrLimits.queryLimitMax));
      } catch (Filter.FilterException e) {
        throw new AppException(e.prefix() + ": " + e.getMessage());
      }
    }
    return new Query(viewerKeys, filters);
  }

  /**
   * What the app answered to a publish.
   *
   * @param accepted the OK message's third element
   * @param id the event id (64 hex)
   * @param message the OK message's fourth element, with its NIP-01 prefix when not empty
   * @param eventJson the canonical event to broadcast to live subscriptions, or null
   */
  public record PublishResult(boolean accepted, String id, String message, String eventJson) {
    public byte[] encode() {
      byte[] text = message.getBytes(StandardCharsets.UTF_8);
      byte[] json = eventJson == null ? new byte[0] : eventJson.getBytes(StandardCharsets.UTF_8);
      ByteBuffer out = ByteBuffer.allocate(2 + 32 + 2 + text.length + (eventJson == null ? 0 : 4 + json.length))
          .put(RESPONSE_VERSION).put((byte) ((accepted ? ACCEPTED : 0) | (eventJson == null ? 0 : BROADCAST)))
          .put(NostrJson.unhex(id)).putShort((short) text.length).put(text);
      if (eventJson != null) {
        out.putInt(json.length).put(json);
      }
      return out.array();
    }

    /** Reads a publish response; throws IllegalArgumentException for bytes that are not one. */
    public static PublishResult decode(byte[] response) {
      try {
        ByteBuffer in = ByteBuffer.wrap(response);
        checkVersion(in.get());
        int flags = in.get();
        String id = NostrJson.hex(bytes(in, 32));
        String message = new String(bytes(in, Short.toUnsignedInt(in.getShort())), StandardCharsets.UTF_8);
        String json = (flags & BROADCAST) != 0 ? new String(bytes(in, in.getInt()), StandardCharsets.UTF_8) : null;
        return new PublishResult((flags & ACCEPTED) != 0, id, message, json);
      } catch (BufferUnderflowException | NegativeArraySizeException e) {
        throw new IllegalArgumentException("nostr publish response is truncated", e);
      }
    }
  }

  /** One stored event of a query answer. */
  public record StoredEvent(String id, byte[] json) {}

  /**
   * What the app answered to a query.
   *
   * @param events newest first, no id twice
   * @param cut why the answer stops early, or "" when it holds every match
   */
  public record QueryResult(List<StoredEvent> events, String cut) {
    public byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] reason = cut.getBytes(StandardCharsets.UTF_8);
      out.writeBytes(ByteBuffer.allocate(1 + 2 + reason.length + 4).put(RESPONSE_VERSION)
          .putShort((short) reason.length).put(reason).putInt(events.size()).array());
      for (StoredEvent event : events) {
        out.writeBytes(NostrJson.unhex(event.id()));
        out.writeBytes(ByteBuffer.allocate(4).putInt(event.json().length).array());
        out.writeBytes(event.json());
      }
      return out.toByteArray();
    }

    /** Reads a query response; throws IllegalArgumentException for bytes that are not one. */
    public static QueryResult decode(byte[] response) {
      try {
        ByteBuffer in = ByteBuffer.wrap(response);
        checkVersion(in.get());
        String cut = new String(bytes(in, Short.toUnsignedInt(in.getShort())), StandardCharsets.UTF_8);
        int count = in.getInt();
        if (count < 0 || count > in.remaining() / 36) {
          throw new IllegalArgumentException("nostr query response claims " + count + " events");
        }
        List<StoredEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          String id = NostrJson.hex(bytes(in, 32));
          events.add(new StoredEvent(id, bytes(in, in.getInt())));
        }
        return new QueryResult(events, cut);
      } catch (BufferUnderflowException | NegativeArraySizeException e) {
        throw new IllegalArgumentException("nostr query response is truncated", e);
      }
    }
  }

  private static void checkVersion(byte version) {
    if (version != RESPONSE_VERSION) {
      throw new IllegalArgumentException("nostr response version " + version + " is not " + RESPONSE_VERSION);
    }
  }

  private static byte[] bytes(ByteBuffer in, int length) {
    if (length < 0 || length > in.remaining()) {
      throw new BufferUnderflowException();
    }
    byte[] out = new byte[length];
    in.get(out);
    return out;
  }
}
