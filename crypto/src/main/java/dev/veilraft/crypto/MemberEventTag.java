package dev.veilraft.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The tag by which a member's own front end vouches for an event it seals for its users:
 * HMAC-SHA256 under {@code S_e.deriveKey("veilraft/member-event/v1")} over length-prefixed app,
 * request and client id, and the sequence. Anyone can seal an event to the group's public key;
 * only members (and only for the current epoch, since events are sealed to it) can tag one, so an
 * app may trust a tagged request's claims about I/O that happened outside the TEE's apply path.
 */
public final class MemberEventTag {
  public static final String KEY_LABEL = "veilraft/member-event/v1";
  public static final int BYTES = KeyedHash.OUTPUT_BYTES;

  private MemberEventTag() {}

  /** The key members derive from the epoch secret (cache it per epoch). */
  public static KeyedHash key(EpochSecret secret) {
    return KeyedHash.fromKey(secret.deriveKey(KEY_LABEL));
  }

  public static byte[] tag(KeyedHash key, String app, byte[] request, byte[] clientId, long sequence) {
    byte[] appBytes = app.getBytes(StandardCharsets.UTF_8);
    return key.hash(Hashes.u64(appBytes.length), appBytes, Hashes.u64(request.length), request,
        Hashes.u64(clientId.length), clientId, Hashes.u64(sequence));
  }

  /** Whether {@code tag} is this key's tag of the event's fields (constant time). */
  public static boolean verify(KeyedHash key, byte[] tag, String app, byte[] request, byte[] clientId, long sequence) {
    return tag.length == BYTES && MessageDigest.isEqual(tag, tag(key, app, request, clientId, sequence));
  }
}
