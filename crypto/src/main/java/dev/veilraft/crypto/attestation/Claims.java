package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.TcbVersion;

/** What verified evidence says about the attester. Byte arrays are copies owned by this record. */
public record Claims(
    Platform platform,
    int reportVersion,
    byte[] measurement,
    byte[] reportData,
    byte[] hostData,
    byte[] chipId,
    TcbVersion reportedTcb,
    boolean debug,
    int vmpl) {

  @Override
  public String toString() {
    return "Claims{platform=" + platform + ", version=" + reportVersion
        + ", measurement=" + Hashes.shortHex(measurement, 8) + ", chipId=" + Hashes.shortHex(chipId, 8)
        + ", debug=" + debug + ", vmpl=" + vmpl + "}";
  }
}
