package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Path;

/**
 * A TDX attester: DCAP quotes through configfs-tsm with the {@code tdx_guest} provider. The kernel
 * turns the TDREPORT into a quote by asking the host's Quote Generation Service (QGS), so the host
 * must run one (Intel's QGS, or the cloud's equivalent) and the guest kernel must be 6.7 or later.
 * {@code /dev/tdx_guest} alone yields only a TDREPORT ({@link TdxGuestDevice}), which no remote
 * party can verify. The quote carries its PCK chain; collateral (TCB info, QE identity) is the
 * verifier's to fetch.
 */
public final class TdxQuoteAttester implements Attester {
  private final ConfigfsTsmAttester configfs;

  private TdxQuoteAttester(ConfigfsTsmAttester configfs) {
    this.configfs = configfs;
  }

  /** Opens the report directory {@code <configfs>/tsm/report}; takes one quote to check it works. */
  public static TdxQuoteAttester open(Path reportDir) throws AttestationException {
    return new TdxQuoteAttester(ConfigfsTsmAttester.builder(reportDir).expect(Platform.TDX).build());
  }

  static TdxQuoteAttester open(Path reportDir, ConfigfsFiles files) throws AttestationException {
    return new TdxQuoteAttester(ConfigfsTsmAttester.builder(reportDir).expect(Platform.TDX).files(files).build());
  }

  @Override
  public Platform platform() {
    return Platform.TDX;
  }

  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    return configfs.attest(reportData);
  }

  /** MRTD || RTMR0..3 (240 bytes) as of the latest quote. */
  @Override
  public byte[] measurement() {
    return configfs.measurement();
  }

  @Override
  public String toString() {
    return "TdxQuoteAttester{" + configfs + "}";
  }
}
