package dev.veilraft.membership;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** Test ledger: records in a map keyed by hex id (hex order is unsigned byte order). */
final class InMemoryGovernanceLedger implements GovernanceLedger {
  final TreeMap<String, ProposalRecord> records = new TreeMap<>();

  @Override
  public Optional<ProposalRecord> get(byte[] proposalId) {
    return Optional.ofNullable(records.get(Hashes.hex(proposalId)));
  }

  @Override
  public void put(ProposalRecord record) {
    records.put(Hashes.hex(record.getProposalId().toByteArray()), record);
  }

  @Override
  public List<ProposalRecord> open() {
    return records.values().stream().filter(r -> r.getStatus() == ProposalStatus.OPEN).toList();
  }
}
