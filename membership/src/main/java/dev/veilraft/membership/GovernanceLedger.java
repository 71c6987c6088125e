package dev.veilraft.membership;

import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.state.StateException;
import java.util.List;
import java.util.Optional;

/**
 * Where governance keeps its proposal records. Inside apply it is backed by the entry's state
 * transaction ({@link GovernanceStore}); tests use a map. Implementations keep every record ever
 * put and know which are open.
 */
public interface GovernanceLedger {
  /** The record of proposal {@code proposalId} (SHA-256 of its body), if it was ever recorded. */
  Optional<ProposalRecord> get(byte[] proposalId) throws StateException;

  /** Records or replaces {@code record}; it counts as open exactly when its status is OPEN. */
  void put(ProposalRecord record) throws StateException;

  /** The open records, sorted by proposal id (unsigned bytes), so every replica walks them alike. */
  List<ProposalRecord> open() throws StateException;
}
