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
  private static final byte[] LEADER_TIME_KEY = Hashes.utf8("leader-time");

  private MembershipStore() {}

  public static MembershipView load(StateStore store) throws StateException {
    MembershipView view = decode(store.get(NAMESPACE, SNAPSHOT_KEY));
    Optional<byte[]> time = store.get(NAMESPACE, LEADER_TIME_KEY);
    if (time.isPresent()) {
      if (time.get().length != 8) {
        throw new StateException("stored leader time is " + time.get().length + " bytes, expected 8");
      }
      view = view.withLeaderTime(java.nio.ByteBuffer.wrap(time.get()).getLong());
    }
    return view;
  }

  /**
   * Records the view after an entry. The leader time changes with every entry and is 8 bytes on
   * its own; the view (members with their evidence) is rewritten only when it changed.
   */
  public static void save(StateTransaction tx, MembershipView view, boolean viewChanged) {
    tx.put(NAMESPACE, LEADER_TIME_KEY, Hashes.u64(view.lastLeaderTimeMs()));
    if (viewChanged) {
      tx.put(NAMESPACE, SNAPSHOT_KEY, view.toSnapshot().toBuilder().clearLastLeaderTimeMs().build().toByteArray());
    }
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
