package dev.veilraft.apps.nostr;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Schnorr;
import java.util.ArrayList;
import java.util.List;

/** Real BIP-340 signed events for tests: keys derived from names, events signed with {@link Schnorr#sign}. */
final class NostrTestEvents {
  static final long NOW_SECONDS = 1_760_000_000L;
  static final long NOW_MS = NOW_SECONDS * 1000;

  private NostrTestEvents() {}

  /** A test key pair named for readability. */
  record Key(String name, byte[] secret, String pubkey) {
    static Key of(String name) {
      byte[] secret = Hashes.sha256(Hashes.utf8("nostr test key " + name));
      return new Key(name, secret, NostrJson.hex(Schnorr.xOnlyPublicKey(secret)));
    }
  }

  static final Key ALICE = Key.of("alice");
  static final Key BOB = Key.of("bob");
  static final Key CAROL = Key.of("carol");

  /** Signs an event with {@code key}: computes its id from the fields and signs the id bytes. */
  static NostrEvent sign(Key key, long createdAt, int kind, List<List<String>> tags, String content) {
    NostrEvent unsigned = new NostrEvent("0".repeat(64), key.pubkey(), createdAt, kind, tags, content, "0".repeat(128));
    String id = unsigned.computeId();
    byte[] sig = Schnorr.sign(key.secret(), NostrJson.unhex(id), new byte[32]);
    return new NostrEvent(id, key.pubkey(), createdAt, kind, tags, content, NostrJson.hex(sig));
  }

  static NostrEvent note(Key key, long createdAt, String content) {
    return sign(key, createdAt, 1, List.of(), content);
  }

  static List<String> tag(String... values) {
    return List.of(values);
  }

  @SafeVarargs
  static List<List<String>> tags(List<String>... tags) {
    List<List<String>> out = new ArrayList<>(tags.length);
    for (List<String> tag : tags) {
      out.add(tag);
    }
    return out;
  }

  /** The same event with one field changed and the signature kept (so it no longer verifies). */
  static NostrEvent withContent(NostrEvent event, String content) {
    return new NostrEvent(event.id(), event.pubkey(), event.createdAt(), event.kind(), event.tags(), content, event.sig());
  }

  /** The same event with its own id recomputed but the old signature: a correct id, a bad signature. */
  static NostrEvent withBadSignature(NostrEvent event) {
    char[] sig = event.sig().toCharArray();
    sig[10] = sig[10] == '0' ? '1' : '0';
    return new NostrEvent(event.id(), event.pubkey(), event.createdAt(), event.kind(), event.tags(), event.content(),
        new String(sig));
  }
}
