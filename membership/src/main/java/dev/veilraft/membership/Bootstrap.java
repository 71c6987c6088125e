package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.MemberRecord;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;

/**
 * The first entry of a cluster: the genesis and the founding member, whose evidence is bound to
 * the cluster id. Decided identically on every replica.
 */
public final class Bootstrap {
  private Bootstrap() {}

  /** The new view, or a rejection message. */
  public record Outcome(MembershipView view, String rejection) {}

  public static Outcome decide(MembershipView view, InitCluster init, byte[] expectedClusterId, long index,
      long leaderTimeMs, EvidenceVerifier verifier) {
    if (view.initialized()) {
      return new Outcome(null, "cluster is already initialized");
    }
    GenesisDocument genesis;
    try {
      genesis = GenesisDocument.fromGenesisBytes(init.getGenesis().toByteArray());
    } catch (GenesisException e) {
      return new Outcome(null, e.getMessage());
    }
    if (!Arrays.equals(genesis.clusterId(), expectedClusterId)) {
      return new Outcome(null, "genesis hashes to cluster " + genesis.clusterIdHex() + ", not to this group's cluster");
    }
    try {
      genesis.withSignatures(init.getGenesisSignaturesList()).requireFullySigned();
    } catch (GenesisException e) {
      return new Outcome(null, "genesis is not signed by every operator: " + e.getMessage());
    }
    MemberRecord founder = init.getFounder();
    if (ProtocolVersions.supportedBy(founder) < genesis.protocolVersion()
        || !ProtocolVersions.valid(founder.getProtocolVersionMax())) {
      return new Outcome(null, "PROTOCOL_VERSION_UNSUPPORTED: the genesis starts at protocol version "
          + genesis.protocolVersion() + ", the founder's build applies up to "
          + ProtocolVersions.supportedBy(founder) + "; found the cluster with a build that applies it");
    }
    X509Certificate cert;
    try {
      cert = Certificates.parse(founder.getIdentityCert().toByteArray(), "founder.identity_cert");
    } catch (CryptoException e) {
      return new Outcome(null, e.getMessage());
    }
    if (founder.getKemPublicKey().size() != Challenges.KEM_PUBLIC_KEY_BYTES) {
      return new Outcome(null, "founder.kem_public_key is " + founder.getKemPublicKey().size() + " bytes, expected 32");
    }
    byte[] expected = ReportData.bind(genesis.clusterId(), cert.getPublicKey().getEncoded(),
        founder.getKemPublicKey().toByteArray());
    try {
      Admission.checkAddresses(founder.getRaftAddress(), founder.getApiAddress());
    } catch (JoinException e) {
      return new Outcome(null, "founder " + e.getMessage());
    }
    try {
      Endorsements.verify(genesis.genesis().getOperatorsList(), genesis.clusterId(), cert.getPublicKey().getEncoded(),
          founder.getEndorsement());
    } catch (JoinException e) {
      return new Outcome(null, "founder endorsement refused: " + e.code() + ": " + e.getMessage());
    }
    AttestationResult result = verifier.verify(founder.getEvidence(), genesis.policy(), expected,
        Instant.ofEpochMilli(leaderTimeMs));
    if (!result.accepted()) {
      return new Outcome(null, "founder evidence rejected: " + result.reason() + ": " + result.detail());
    }
    MemberRecord recorded = founder.toBuilder()
        .setNodeId(Certificates.nodeId(cert))
        .setEvidenceNonce(ByteString.copyFrom(genesis.clusterId()))
        .setAdmittedIndex(index)
        .setAdmittedAtMs(leaderTimeMs)
        .setMeasurement(ByteString.copyFrom(result.claims().measurement()))
        .setPlatform(result.claims().platform())
        .setOperator(founder.getEndorsement().getOperator())
        .setPlatformInstanceId(ByteString.copyFrom(result.claims().platformInstanceId()))
        .setRole(dev.veilraft.membership.proto.MemberRole.VOTER)
        .setAttestedAtMs(leaderTimeMs)
        .build();
    return new Outcome(view.withGenesis(genesis).withMember(recorded), null);
  }
}
