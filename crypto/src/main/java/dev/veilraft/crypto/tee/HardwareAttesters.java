package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Opens the attester a detected environment supports, in the order of
 * {@link TeeEnvironment#preferred()}: configfs-tsm (SEV-SNP or TDX), then {@code /dev/sev-guest},
 * then {@code /dev/nsm}. When configfs-tsm cannot attest an SEV-SNP guest (kernel too old for the
 * provider, no permission) and {@code /dev/sev-guest} is there, the device is tried next. Never falls back to the simulated TEE: choosing simulation is the
 * caller's explicit, logged decision.
 */
public final class HardwareAttesters {
  private HardwareAttesters() {}

  /**
   * The attester for {@code environment}; SEV-SNP endorsements the host does not supply come from
   * {@code endorsements}. Fails when no hardware TEE is usable here, or the chosen one cannot attest.
   */
  public static Attester open(TeeEnvironment environment, SnpEndorsements endorsements) throws AttestationException {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(endorsements, "endorsements");
    Platform platform = environment.preferred().orElseThrow(() -> new AttestationException(
        String.join("; ", environment.describe())));
    if (platform == Platform.NITRO) {
      return NitroNsmAttester.open(environment.nsm().orElseThrow().path());
    }
    if (environment.configfsTsm().isPresent() && environment.effectiveProvider().isPresent()) {
      Path reportDir = environment.configfsTsm().get().path();
      if (platform == Platform.TDX) {
        return TdxQuoteAttester.open(reportDir);
      }
      try {
        return ConfigfsTsmAttester.builder(reportDir).expect(Platform.SEV_SNP).endorsements(endorsements).build();
      } catch (AttestationException configfsFailure) {
        if (environment.sevGuest().isEmpty()) {
          throw configfsFailure;
        }
        try {
          return SevGuestAttester.open(environment.sevGuest().get().path(), endorsements, 0);
        } catch (AttestationException deviceFailure) {
          deviceFailure.addSuppressed(configfsFailure);
          throw new AttestationException("neither configfs-tsm (" + configfsFailure.getMessage() + ") nor "
              + environment.sevGuest().get().path() + " (" + deviceFailure.getMessage() + ") could attest",
              deviceFailure);
        }
      }
    }
    return SevGuestAttester.open(environment.sevGuest().orElseThrow().path(), endorsements, 0);
  }
}
