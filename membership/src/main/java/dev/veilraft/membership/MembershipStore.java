package dev.veilraft.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.MembershipSnapshot;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import java.util.Optional;

/** Where the membership view and the used join nonces live in the state store. */
public final class MembershipStore {
  public static final String NAMESPACE = "membership";
  private static final byte[] SNAPSHOT_KEY = Hashes.utf8("snapshot");
  private static final byte[] NONCE_PREFIX = Hashes.utf8("nonce/");

  private MembershipStore() {}

  public static MembershipView load(StateStore store) throws StateException {
    return decode(store.get(NAMESPACE, SNAPSHOT_KEY));
  }

  public static void save(StateTransaction tx, MembershipView view) {
    tx.put(NAMESPACE, SNAPSHOT_KEY, view.toSnapshot().toByteArray());
  }

  public static boolean nonceUsed(StateTransaction tx, byte[] nonce) throws StateException {
    return tx.get(NAMESPACE, Hashes.concat(NONCE_PREFIX, nonce)).isPresent();
  }

  public static void markNonceUsed(StateTransaction tx, byte[] nonce) {
    tx.put(NAMESPACE, Hashes.concat(NONCE_PREFIX, nonce), new byte[] {1});
  }

  private static MembershipView decode(Optional<byte[]> bytes) throws StateException {
    if (bytes.isEmpty()) {
      return MembershipView.empty();
    }
    try {
      return MembershipView.of(MembershipSnapshot.parseFrom(bytes.get()));
    } catch (InvalidProtocolBufferException | GenesisException e) {
      throw new StateException("stored membership view does not parse: " + e.getMessage(), e);
    }
  }
}
