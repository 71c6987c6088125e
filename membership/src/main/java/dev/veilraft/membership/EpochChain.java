package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The epoch chain: for every accepted key epoch, the public record ({@link EpochLink}) a member
 * needs to derive S_e from S_{e-1} without the log entry that created it. It lets a member that
 * missed key rotations, whose entries were purged behind a snapshot, derive its way forward from
 * the newest secret it holds to the snapshot's epoch.
 *
 * <p>Why a forged chain fails: link e commits to S_e by its key id, a hash of S_e. A host that
 * does not know S_{e-1} cannot compute the key id of any secret derived from it, so a link it made
 * up (another fresh value wrapped to this node's public KEM key, other hashes, another key id)
 * does not match the secret this node derives, and the walk refuses it. The walk trusts whoever
 * held S_{e-1}: the members of epoch e-1, the same nodes this replica's stale membership view
 * trusts as Raft peers.
 *
 * <p>Records live in the replicated state (namespace {@value #NAMESPACE}, key {@code
 * "epoch-link/" || u64 epoch}); the newest {@link #linksRetainedMax} are kept. The walk is pure:
 * no I/O, no clock.
 */
public final class EpochChain {
  public static final String NAMESPACE = MembershipStore.NAMESPACE;
  private static final byte[] KEY_PREFIX = Hashes.utf8("epoch-link/");
  /**
   * Links kept in the replicated state; recording epoch e deletes link e - linksRetainedMax. A
   * member that missed more rotations than this cannot catch up through the chain (it rejoins).
   * With daily rotations this is almost three years.
   */
  public static final int linksRetainedMax = 1024;
  /** The largest serialized link accepted: 64 members' wraps (about 150 bytes each) fit many times over. */
  public static final int linkBytesMax = 64 * 1024;
  static final int HASH_BYTES = 32;
  static final int KEY_ID_BYTES = 16;
  static final int GROUP_PUBLIC_KEY_BYTES = 32;

  private EpochChain() {}

  /** Why a chain does not lead this node to the snapshot's epoch. */
  public enum Refusal {
    /** This node holds no secret from which the chain leads on (e.g. it is older than the chain's first link). */
    NO_SECRET,
    /** A link has a field of the wrong size, two wraps for one node, or the chain passes the target epoch. */
    MALFORMED_LINK,
    /** An epoch is missing between two links, or after the last link. */
    GAP,
    /** A link names an epoch at or before its predecessor's. */
    OUT_OF_ORDER,
    /** A link holds no wrap for this node: it was not a member of that epoch (e.g. it was removed). */
    NOT_IN_EPOCH,
    /** This node's wrap does not open with its KEM key, or opens to something that is not a 32-byte fresh value. */
    WRAP_NOT_OPENABLE,
    /** The secret this node holds or derived does not match the link's key id. */
    KEY_ID_MISMATCH,
    /** The secret matches the key id but not the link's group public key. */
    GROUP_KEY_MISMATCH
  }

  /** A chain this node refuses, with the specific reason. */
  public static final class ChainException extends Exception {
    private final Refusal refusal;

    public ChainException(Refusal refusal, String detail) {
      super(refusal + ": " + detail);
      this.refusal = refusal;
    }

    public Refusal refusal() {
      return refusal;
    }
  }

  /**
   * The outcome of a walk: the secret of the target epoch, and the secrets derived on the way
   * (epochs {@code fromEpoch + 1 .. target}, empty when this node already held the target's).
   * {@code fromEpoch} is the newest epoch this node held at or before the target (0: none).
   */
  public record Walk(long fromEpoch, EpochSecret target, List<EpochSecret> derived) {
    public Walk {
      derived = List.copyOf(derived);
    }
  }

  /** The state key of epoch {@code epoch}'s link. */
  public static byte[] key(long epoch) {
    return Hashes.concat(KEY_PREFIX, Hashes.u64(epoch));
  }

  /**
   * The link of an accepted KeyEpoch. {@code derivedFrom} is the view whose members and policy
   * went into the derivation of S_e (the view {@link KeyEpochs#derive} was given: the one before
   * the entry, or the one without the removed member).
   */
  public static EpochLink link(MembershipView derivedFrom, KeyEpoch entry) {
    return EpochLink.newBuilder().setEpoch(entry.getEpoch())
        .setMembersHash(ByteString.copyFrom(derivedFrom.membersHash()))
        .setPolicyHash(ByteString.copyFrom(derivedFrom.policyHash()))
        .setKeyId(entry.getKeyId()).setGroupPublicKey(entry.getGroupPublicKey())
        .addAllWraps(entry.getWrapsList()).build();
  }

  /**
   * Records the link of an accepted KeyEpoch in {@code tx} and deletes the link that falls out of
   * the {@link #linksRetainedMax} newest. Deterministic: every replica writes the same records.
   */
  public static void record(StateTransaction tx, MembershipView derivedFrom, KeyEpoch entry) {
    EpochLink link = link(derivedFrom, entry);
    Check.invariant(link.getSerializedSize() <= linkBytesMax, "link of epoch " + entry.getEpoch() + " is "
        + link.getSerializedSize() + " bytes, more than linkBytesMax " + linkBytesMax);
    tx.put(NAMESPACE, key(entry.getEpoch()), link.toByteArray());
    if (entry.getEpoch() > linksRetainedMax) {
      tx.delete(NAMESPACE, key(entry.getEpoch() - linksRetainedMax));
    }
  }

  /** The stored link of {@code epoch}, if the state holds one. */
  public static Optional<EpochLink> read(StateStore store, long epoch) throws StateException {
    Optional<byte[]> bytes = store.get(NAMESPACE, key(epoch));
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(EpochLink.parseFrom(bytes.get()));
    } catch (InvalidProtocolBufferException e) {
      throw new StateException("stored epoch link of epoch " + epoch + " does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * The stored links of consecutive epochs ending at {@code epoch}, oldest first, at most {@code
   * linksMax} of them: what a snapshot of that epoch carries. Empty when the state holds no link
   * of {@code epoch} (a state written before links were recorded). Point reads, so no scan index
   * of the membership namespace is built.
   */
  public static List<EpochLink> chainEndingAt(StateStore store, long epoch, int linksMax) throws StateException {
    Check.argument(linksMax >= 1, "linksMax must be at least 1, got " + linksMax);
    List<EpochLink> newestFirst = new ArrayList<>();
    for (long e = epoch; e >= 1 && newestFirst.size() < linksMax; e--) {
      Optional<EpochLink> link = read(store, e);
      if (link.isEmpty()) {
        break;
      }
      newestFirst.add(link.get());
    }
    Collections.reverse(newestFirst);
    return newestFirst;
  }

  /** S_e from S_{e-1} (null for epoch 1), fresh_e and the link's hashes. */
  public static EpochSecret derive(EpochLink link, EpochSecret previous, byte[] fresh) {
    return EpochSecret.derive(previous, link.getEpoch(), fresh, link.getMembersHash().toByteArray(),
        link.getPolicyHash().toByteArray());
  }

  /**
   * Walks {@code chain} from the newest secret {@code held} holds at or before {@code
   * targetEpoch} to the target: for each later link, opens this node's wrap with {@code kem},
   * derives the next secret and checks it against the link's key id and group public key. Where
   * the chain has a link for the epoch this node starts from, that link must match the node's own
   * secret too. Changes nothing: the caller keeps the derived secrets once it has used them.
   *
   * @param chain links of consecutive epochs ending at {@code targetEpoch}, oldest first (may be empty)
   * @throws ChainException naming the refusal and the epoch where the walk stopped
   */
  public static Walk walk(List<EpochLink> chain, long targetEpoch, EpochKeyring held, byte[] clusterId, String nodeId,
      KemKeyPair kem) throws ChainException {
    Check.argument(targetEpoch >= 1, "target epoch must be at least 1, got " + targetEpoch);
    checkShape(chain, targetEpoch);
    EpochSecret start = held.newestAtOrBelow(targetEpoch).orElse(null);
    long from = start == null ? 0 : start.epoch();
    long first = chain.isEmpty() ? targetEpoch + 1 : chain.get(0).getEpoch();
    if (start != null && from >= first) {
      checkCommitment(chain.get((int) (from - first)), start, "this node's own secret of epoch " + from);
    }
    if (from == targetEpoch) {
      return new Walk(from, start, List.of());
    }
    if (from + 1 < first) {
      throw new ChainException(Refusal.NO_SECRET, noSecret(held, targetEpoch, from, chain.isEmpty() ? -1 : first));
    }
    EpochSecret previous = start;
    List<EpochSecret> derived = new ArrayList<>();
    for (long e = from + 1; e <= targetEpoch; e++) {
      EpochLink link = chain.get((int) (e - first));
      HpkeWrap mine = link.getWrapsList().stream().filter(w -> w.getNodeId().equals(nodeId)).findFirst()
          .orElseThrow(() -> new ChainException(Refusal.NOT_IN_EPOCH, "epoch " + link.getEpoch()
              + " holds no wrap for node " + nodeId + ": this node was not a member of it (removed, or admitted"
              + " later), so it cannot derive that epoch's secret"));
      EpochSecret next;
      try {
        byte[] fresh = EventSealing.unwrap(kem, KeyEpochs.wrapInfo(clusterId, e), mine);
        next = derive(link, previous, fresh);
      } catch (CryptoException | IllegalArgumentException ex) {
        throw new ChainException(Refusal.WRAP_NOT_OPENABLE, "this node's wrap in epoch " + e
            + " does not open to a fresh value with its KEM key: " + ex.getMessage());
      }
      checkCommitment(link, next, "the secret derived for epoch " + e);
      derived.add(next);
      previous = next;
    }
    return new Walk(from, previous, derived);
  }

  private static String noSecret(EpochKeyring held, long target, long from, long first) {
    String holds = from == 0
        ? "this node holds no epoch secret at or before epoch " + target
            + held.oldest().map(s -> " (its oldest is epoch " + s.epoch() + ")").orElse("")
        : "this node's newest secret at or before epoch " + target + " is epoch " + from;
    String chain = first < 0 ? "the snapshot carries no epoch chain"
        : "the snapshot's chain starts at epoch " + first;
    return holds + " and " + chain + ", so it cannot derive the secret of epoch " + target;
  }

  /** Sizes, duplicate wraps, order and gaps, before any secret is touched. */
  private static void checkShape(List<EpochLink> chain, long targetEpoch) throws ChainException {
    for (int i = 0; i < chain.size(); i++) {
      EpochLink link = chain.get(i);
      if (link.getEpoch() < 1 || link.getMembersHash().size() != HASH_BYTES
          || link.getPolicyHash().size() != HASH_BYTES || link.getKeyId().size() != KEY_ID_BYTES
          || link.getGroupPublicKey().size() != GROUP_PUBLIC_KEY_BYTES) {
        throw new ChainException(Refusal.MALFORMED_LINK, "link " + i + " (epoch " + link.getEpoch()
            + ") has an epoch below 1 or a hash, key id or group key of the wrong size");
      }
      Set<String> wrapped = new HashSet<>();
      for (HpkeWrap wrap : link.getWrapsList()) {
        if (!wrapped.add(wrap.getNodeId())) {
          throw new ChainException(Refusal.MALFORMED_LINK, "link of epoch " + link.getEpoch() + " holds two wraps for "
              + Check.printable(wrap.getNodeId()));
        }
      }
      if (i > 0 && link.getEpoch() <= chain.get(i - 1).getEpoch()) {
        throw new ChainException(Refusal.OUT_OF_ORDER, "link " + i + " names epoch " + link.getEpoch()
            + " after epoch " + chain.get(i - 1).getEpoch());
      }
    }
    // Order first, over the whole chain, so that swapped links read as reordered rather than as a gap.
    for (int i = 1; i < chain.size(); i++) {
      long before = chain.get(i - 1).getEpoch();
      if (chain.get(i).getEpoch() != before + 1) {
        throw new ChainException(Refusal.GAP, "the chain jumps from epoch " + before + " to epoch "
            + chain.get(i).getEpoch());
      }
    }
    if (!chain.isEmpty()) {
      long last = chain.get(chain.size() - 1).getEpoch();
      if (last < targetEpoch) {
        throw new ChainException(Refusal.GAP, "the chain ends at epoch " + last + " but the target is epoch "
            + targetEpoch);
      }
      if (last > targetEpoch) {
        throw new ChainException(Refusal.MALFORMED_LINK, "the chain runs to epoch " + last + ", past the target epoch "
            + targetEpoch);
      }
    }
  }

  private static void checkCommitment(EpochLink link, EpochSecret secret, String what) throws ChainException {
    if (!secret.matches(link.getKeyId().toByteArray())) {
      throw new ChainException(Refusal.KEY_ID_MISMATCH, what + " does not match the key id the chain commits to"
          + " for epoch " + link.getEpoch() + " (" + Hashes.hex(link.getKeyId().toByteArray()) + ")");
    }
    if (!MessageDigest.isEqual(secret.groupPublicKey(), link.getGroupPublicKey().toByteArray())) {
      throw new ChainException(Refusal.GROUP_KEY_MISMATCH, what + " matches the key id but not the group public"
          + " key the chain names for epoch " + link.getEpoch());
    }
  }
}
