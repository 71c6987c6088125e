package dev.veilraft.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Governance records in the state store, namespace {@value MembershipStore#NAMESPACE}:
 * {@code gov/<hex proposal id>} holds a ProposalRecord, and {@code gov-open} the ids of the open
 * proposals (32-byte ids concatenated in unsigned order), so expiry reads only the open ones.
 * Inside apply it wraps the entry's transaction; the static readers serve the API from committed
 * state.
 */
public final class GovernanceStore implements GovernanceLedger {
  public static final String NAMESPACE = MembershipStore.NAMESPACE;
  /** Most records {@link #list} returns: every open one, then the others up to this bound. */
  public static final int LIST_RECORDS_MAX = 1_000;
  private static final String RECORD_PREFIX = "gov/";
  private static final byte[] RECORD_FROM = Hashes.utf8(RECORD_PREFIX);
  private static final byte[] RECORD_TO = Hashes.utf8("gov0"); // '0' follows '/'
  private static final byte[] OPEN_KEY = Hashes.utf8("gov-open");
  /** Records are up to ~130 KiB; small pages keep every scan far below the store's size bound. */
  private static final int SCAN_PAGE_RECORDS = 64;
  private static final int ID_BYTES = GovernanceMessages.PROPOSAL_ID_BYTES;

  private final StateTransaction tx;

  public GovernanceStore(StateTransaction tx) {
    this.tx = tx;
  }

  @Override
  public Optional<ProposalRecord> get(byte[] proposalId) throws StateException {
    return decode(tx.get(NAMESPACE, key(proposalId)));
  }

  @Override
  public void put(ProposalRecord record) throws StateException {
    byte[] id = record.getProposalId().toByteArray();
    Check.argument(id.length == ID_BYTES, "proposal id is " + id.length + " bytes, expected " + ID_BYTES);
    tx.put(NAMESPACE, key(id), record.toByteArray());
    List<byte[]> open = new ArrayList<>(openIds(tx.get(NAMESPACE, OPEN_KEY)));
    boolean listed = open.removeIf(o -> Arrays.equals(o, id));
    if (record.getStatus() == ProposalStatus.OPEN) {
      open.add(id);
    } else if (!listed) {
      return; // Closed and not listed: the index is unchanged.
    }
    open.sort(Arrays::compareUnsigned);
    tx.put(NAMESPACE, OPEN_KEY, Hashes.concat(open.toArray(byte[][]::new)));
  }

  @Override
  public List<ProposalRecord> open() throws StateException {
    List<ProposalRecord> out = new ArrayList<>();
    for (byte[] id : openIds(tx.get(NAMESPACE, OPEN_KEY))) {
      out.add(get(id).orElseThrow(() -> new StateException("open proposal " + Hashes.shortHex(id, 8)
          + " is listed in gov-open but has no record")));
    }
    return out;
  }

  /** One committed record. */
  public static Optional<ProposalRecord> get(StateStore store, byte[] proposalId) throws StateException {
    return decode(store.get(NAMESPACE, key(proposalId)));
  }

  /**
   * Committed records for listings: every open proposal, then closed ones, at most {@link
   * #LIST_RECORDS_MAX} in all, newest (highest proposed index) first.
   */
  public static List<ProposalRecord> list(StateStore store) throws StateException {
    Map<String, ProposalRecord> found = new LinkedHashMap<>();
    for (byte[] id : openIds(store.get(NAMESPACE, OPEN_KEY))) {
      get(store, id).ifPresent(r -> found.put(Hashes.hex(id), r));
    }
    byte[] from = RECORD_FROM;
    while (found.size() < LIST_RECORDS_MAX) {
      List<StateRecord> page = store.scan(NAMESPACE, from, RECORD_TO, SCAN_PAGE_RECORDS);
      for (StateRecord r : page) {
        if (found.size() < LIST_RECORDS_MAX) {
          ProposalRecord record = decode(Optional.of(r.value())).orElseThrow();
          found.putIfAbsent(Hashes.hex(record.getProposalId().toByteArray()), record);
        }
      }
      if (page.size() < SCAN_PAGE_RECORDS) {
        break;
      }
      from = Hashes.concat(page.get(page.size() - 1).key(), new byte[] {0});
    }
    List<ProposalRecord> out = new ArrayList<>(found.values());
    out.sort(Comparator.comparingLong(ProposalRecord::getProposedIndex).reversed());
    return out;
  }

  private static byte[] key(byte[] proposalId) {
    return Hashes.utf8(RECORD_PREFIX + Hashes.hex(proposalId));
  }

  private static List<byte[]> openIds(Optional<byte[]> value) throws StateException {
    if (value.isEmpty()) {
      return List.of();
    }
    byte[] bytes = value.get();
    if (bytes.length % ID_BYTES != 0) {
      throw new StateException("stored gov-open index is " + bytes.length + " bytes, not a multiple of " + ID_BYTES);
    }
    List<byte[]> ids = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += ID_BYTES) {
      ids.add(Arrays.copyOfRange(bytes, i, i + ID_BYTES));
    }
    return ids;
  }

  private static Optional<ProposalRecord> decode(Optional<byte[]> bytes) throws StateException {
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(ProposalRecord.parseFrom(bytes.get()));
    } catch (InvalidProtocolBufferException e) {
      throw new StateException("stored proposal record does not parse: " + e.getMessage(), e);
    }
  }
}
