package dev.veilraft.apps.nostr;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.state.StateException;
import dev.veilraft.state.app.AppReader;
import dev.veilraft.state.app.AppState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The relay's records in its app namespace ({@code app/nostr}), and the writes that keep the
 * indexes in step with the events. Keys start with a one-byte table tag; all integers are
 * big-endian, so unsigned byte order is numeric order.
 *
 * <pre>
 * 0x01 EVENT            id(32)                                  -> canonical event JSON (UTF-8)
 * 0x02 BY_TIME          order(40)                               -> index value
 * 0x03 BY_AUTHOR        pubkey(32) order(40)                    -> index value
 * 0x04 BY_KIND          kind(u16) order(40)                     -> index value
 * 0x05 BY_AUTHOR_KIND   pubkey(32) kind(u16) order(40)          -> index value
 * 0x06 BY_TAG           letter(u8) valueKey(tag value) order(40) -> index value
 * 0x07 LATEST           pubkey(32) kind(u16) valueKey(d)        -> created_at(u64) id(32)
 * 0x08 DELETED_ID       id(32) pubkey(32)                       -> created_at(u64) of the deletion request
 * 0x09 DELETED_ADDRESS  pubkey(32) kind(u16) valueKey(d)        -> created_at(u64): versions up to it are deleted
 *
 * order(40)   = ~created_at(u64) id(32): ascending keys are newest first, ties lowest id first (NIP-01)
 * index value = kind(u16) pubkey(32): lets a query test kinds and authors without reading the event
 * valueKey(v) = len(u8) utf8(v) when v is at most 64 bytes, else 0xFF sha256(utf8(v)); the length
 *               keeps one value's run of keys from covering another's
 * </pre>
 *
 * <p>Every stored event has exactly one EVENT record and one record in each of BY_TIME, BY_AUTHOR,
 * BY_KIND, BY_AUTHOR_KIND, plus one BY_TAG record per distinct single-letter tag name and first
 * value. A replaceable or addressable event is stored only while LATEST names it. DELETED_ID and
 * DELETED_ADDRESS remember NIP-09 deletions so an old copy cannot be published again.
 */
final class EventStore {
  static final byte EVENT = 0x01;
  static final byte BY_TIME = 0x02;
  static final byte BY_AUTHOR = 0x03;
  static final byte BY_KIND = 0x04;
  static final byte BY_AUTHOR_KIND = 0x05;
  static final byte BY_TAG = 0x06;
  static final byte LATEST = 0x07;
  static final byte DELETED_ID = 0x08;
  static final byte DELETED_ADDRESS = 0x09;
  /** Bytes of order(): the inverted created_at and the id. */
  static final int ORDER_BYTES = Long.BYTES + 32;
  static final int INDEX_VALUE_BYTES = Short.BYTES + 32;
  /** Values up to this many UTF-8 bytes are kept verbatim in keys; longer ones by their SHA-256. */
  static final int VALUE_KEY_RAW_BYTES_MAX = 64;
  private static final byte VALUE_KEY_HASHED = (byte) 0xFF;

  private EventStore() {}

  static byte[] eventKey(String id) {
    return Hashes.concat(new byte[] {EVENT}, NostrJson.unhex(id));
  }

  /** The stored event with {@code id}, if any. */
  static Optional<NostrEvent> load(AppReader state, String id) throws StateException {
    Optional<byte[]> json = state.get(eventKey(id));
    if (json.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(parseStored(json.get(), id));
  }

  /** Parses an EVENT record; a record that does not parse means the store is corrupt. */
  static NostrEvent parseStored(byte[] json, String expectedId) throws StateException {
    try {
      NostrEvent event = NostrEvent.fromJson(NostrJson.read(json));
      if (expectedId != null && !event.id().equals(expectedId)) {
        throw new StateException("nostr event record " + expectedId + " holds event " + event.id()
            + " (state corrupted)");
      }
      return event;
    } catch (NostrJson.NostrJsonException | NostrEvent.InvalidEventException e) {
      throw new StateException("nostr event record " + expectedId + " does not parse (state corrupted): "
          + e.getMessage());
    }
  }

  /** Writes the event and its index records. */
  static void put(AppState state, NostrEvent event, byte[] json) {
    state.put(eventKey(event.id()), json);
    byte[] value = indexValue(event.kind(), NostrJson.unhex(event.pubkey()));
    byte[] order = order(event.createdAt(), NostrJson.unhex(event.id()));
    for (byte[] prefix : indexPrefixes(event)) {
      state.put(Hashes.concat(prefix, order), value);
    }
  }

  /** Deletes the event, its index records and, when it is the latest of its address, the LATEST record. */
  static void remove(AppState state, NostrEvent event) throws StateException {
    state.delete(eventKey(event.id()));
    byte[] order = order(event.createdAt(), NostrJson.unhex(event.id()));
    for (byte[] prefix : indexPrefixes(event)) {
      state.delete(Hashes.concat(prefix, order));
    }
    if (event.retention() == EventKinds.Retention.REPLACEABLE || event.retention() == EventKinds.Retention.ADDRESSABLE) {
      byte[] latestKey = latestKey(event.pubkey(), event.kind(), address(event));
      Optional<Latest> latest = latest(state, latestKey);
      if (latest.isPresent() && latest.get().id().equals(event.id())) {
        state.delete(latestKey);
      }
    }
  }

  /** The prefixes of the event's index records, each followed by order() in the key. */
  static List<byte[]> indexPrefixes(NostrEvent event) {
    byte[] pubkey = NostrJson.unhex(event.pubkey());
    List<byte[]> prefixes = new ArrayList<>(4 + event.tags().size());
    prefixes.add(timePrefix());
    prefixes.add(authorPrefix(pubkey));
    prefixes.add(kindPrefix(event.kind()));
    prefixes.add(authorKindPrefix(pubkey, event.kind()));
    for (Map.Entry<Character, String> tag : event.indexedTags()) {
      prefixes.add(tagPrefix(tag.getKey(), tag.getValue()));
    }
    return prefixes;
  }

  static byte[] timePrefix() {
    return new byte[] {BY_TIME};
  }

  static byte[] authorPrefix(byte[] pubkey) {
    return Hashes.concat(new byte[] {BY_AUTHOR}, pubkey);
  }

  static byte[] kindPrefix(int kind) {
    return ByteBuffer.allocate(3).put(BY_KIND).putShort((short) kind).array();
  }

  static byte[] authorKindPrefix(byte[] pubkey, int kind) {
    return ByteBuffer.allocate(1 + 32 + 2).put(BY_AUTHOR_KIND).put(pubkey).putShort((short) kind).array();
  }

  static byte[] tagPrefix(char letter, String value) {
    return Hashes.concat(new byte[] {BY_TAG, (byte) letter}, valueKey(value));
  }

  /** ~created_at ‖ id: ascending order is newest first, then lowest id. */
  static byte[] order(long createdAt, byte[] id) {
    return ByteBuffer.allocate(ORDER_BYTES).putLong(~createdAt).put(id).array();
  }

  /** The created_at of an index key (its order() is the last {@link #ORDER_BYTES} bytes). */
  static long createdAtOf(byte[] indexKey) {
    return ~ByteBuffer.wrap(indexKey, indexKey.length - ORDER_BYTES, Long.BYTES).getLong();
  }

  /** The id of an index key. */
  static String idOf(byte[] indexKey) {
    return NostrJson.hex(Arrays.copyOfRange(indexKey, indexKey.length - 32, indexKey.length));
  }

  static byte[] indexValue(int kind, byte[] pubkey) {
    return ByteBuffer.allocate(INDEX_VALUE_BYTES).putShort((short) kind).put(pubkey).array();
  }

  static int kindOf(byte[] indexValue) {
    return Short.toUnsignedInt(ByteBuffer.wrap(indexValue).getShort());
  }

  static String pubkeyOf(byte[] indexValue) {
    return NostrJson.hex(Arrays.copyOfRange(indexValue, Short.BYTES, INDEX_VALUE_BYTES));
  }

  /** A tag value or d tag as it appears in keys. */
  static byte[] valueKey(String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    if (utf8.length <= VALUE_KEY_RAW_BYTES_MAX) {
      return Hashes.concat(new byte[] {(byte) utf8.length}, utf8);
    }
    return Hashes.concat(new byte[] {VALUE_KEY_HASHED}, Hashes.sha256(utf8));
  }

  /** The d value that addresses the event: its d tag for addressable kinds, "" for replaceable ones. */
  static String address(NostrEvent event) {
    return event.retention() == EventKinds.Retention.ADDRESSABLE ? event.dTag() : "";
  }

  static byte[] latestKey(String pubkey, int kind, String d) {
    return addressKey(LATEST, pubkey, kind, d);
  }

  static byte[] deletedAddressKey(String pubkey, int kind, String d) {
    return addressKey(DELETED_ADDRESS, pubkey, kind, d);
  }

  private static byte[] addressKey(byte table, String pubkey, int kind, String d) {
    return Hashes.concat(ByteBuffer.allocate(1 + 32 + 2).put(table).put(NostrJson.unhex(pubkey))
        .putShort((short) kind).array(), valueKey(d));
  }

  /** The current version of a replaceable or addressable event. */
  record Latest(long createdAt, String id) {
    byte[] encode() {
      return ByteBuffer.allocate(Long.BYTES + 32).putLong(createdAt).put(NostrJson.unhex(id)).array();
    }

    /** True when this version wins over {@code event}: newer, or as new with a lower id (NIP-01). */
    boolean supersedes(NostrEvent event) {
      return createdAt > event.createdAt() || (createdAt == event.createdAt() && id.compareTo(event.id()) < 0);
    }
  }

  static Optional<Latest> latest(AppReader state, byte[] latestKey) throws StateException {
    Optional<byte[]> value = state.get(latestKey);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (value.get().length != Long.BYTES + 32) {
      throw new StateException("nostr LATEST record is " + value.get().length + " bytes (state corrupted)");
    }
    ByteBuffer buffer = ByteBuffer.wrap(value.get());
    long createdAt = buffer.getLong();
    byte[] id = new byte[32];
    buffer.get(id);
    return Optional.of(new Latest(createdAt, NostrJson.hex(id)));
  }

  static byte[] deletedIdKey(String id, String pubkey) {
    return Hashes.concat(new byte[] {DELETED_ID}, NostrJson.unhex(id), NostrJson.unhex(pubkey));
  }

  /** The created_at up to which versions of an address are deleted, or -1 when none are. */
  static long deletedUpTo(AppReader state, byte[] deletedAddressKey) throws StateException {
    Optional<byte[]> value = state.get(deletedAddressKey);
    return value.map(bytes -> ByteBuffer.wrap(bytes).getLong()).orElse(-1L);
  }

  /** The smallest key after every key that starts with {@code prefix}, or null when there is none. */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }
}
