package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a machine offers for attestation, as {@link TeeDetection} found it.
 *
 * @param configfsTsm the configfs-tsm report directory, when present
 * @param tsmProvider its provider ("sev_guest", "tdx_guest", ...) when a probe entry could be made
 * @param sevGuest {@code /dev/sev-guest}, when present
 * @param tdxGuest {@code /dev/tdx_guest}, when present
 * @param nsm {@code /dev/nsm}, when present
 * @param notes problems met while looking (no permission to probe configfs, ...), for the operator
 */
public record TeeEnvironment(Optional<Node> configfsTsm, Optional<String> tsmProvider, Optional<Node> sevGuest,
    Optional<Node> tdxGuest, Optional<Node> nsm, List<String> notes) {

  /** The line {@link #describe()} prints when nothing is found. */
  public static final String NO_TEE = "no TEE found: only the simulated platform (INSECURE) is available";

  /**
   * A device node or directory that exists.
   *
   * @param path where it is
   * @param accessible whether this process may read and write it (devices need root or a group)
   */
  public record Node(Path path, boolean accessible) {
    public Node {
      Objects.requireNonNull(path, "path");
    }

    String describe() {
      return path + (accessible ? "" : " (not accessible to this user: run as root or grant access)");
    }
  }

  public TeeEnvironment {
    Objects.requireNonNull(configfsTsm, "configfsTsm");
    Objects.requireNonNull(tsmProvider, "tsmProvider");
    Objects.requireNonNull(sevGuest, "sevGuest");
    Objects.requireNonNull(tdxGuest, "tdxGuest");
    Objects.requireNonNull(nsm, "nsm");
    notes = List.copyOf(notes);
  }

  /** Whether any TEE interface exists here. */
  public boolean anyTee() {
    return configfsTsm.isPresent() || sevGuest.isPresent() || tdxGuest.isPresent() || nsm.isPresent();
  }

  /**
   * The platform a node here should attest as: configfs-tsm's provider first (SEV-SNP or TDX),
   * then {@code /dev/sev-guest}, then {@code /dev/nsm}. A TDX guest without configfs-tsm has no
   * platform: its device yields TDREPORTs, not quotes.
   */
  public Optional<Platform> preferred() {
    if (configfsTsm.isPresent()) {
      Optional<String> provider = effectiveProvider();
      if (provider.filter(ConfigfsTsmAttester.PROVIDER_SEV_GUEST::equals).isPresent()) {
        return Optional.of(Platform.SEV_SNP);
      }
      if (provider.filter(ConfigfsTsmAttester.PROVIDER_TDX_GUEST::equals).isPresent()) {
        return Optional.of(Platform.TDX);
      }
    }
    if (sevGuest.isPresent()) {
      return Optional.of(Platform.SEV_SNP);
    }
    return nsm.isPresent() ? Optional.of(Platform.NITRO) : Optional.empty();
  }

  /** The provider as read, or as the guest device present implies when it could not be read. */
  Optional<String> effectiveProvider() {
    if (tsmProvider.isPresent()) {
      return tsmProvider;
    }
    if (sevGuest.isPresent()) {
      return Optional.of(ConfigfsTsmAttester.PROVIDER_SEV_GUEST);
    }
    return tdxGuest.isPresent() ? Optional.of(ConfigfsTsmAttester.PROVIDER_TDX_GUEST) : Optional.empty();
  }

  /** One line per finding, for {@code veilraft hardware}; {@link #NO_TEE} when there is none. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    configfsTsm.ifPresent(node -> lines.add("configfs-tsm report interface: " + node.describe() + ", provider "
        + tsmProvider.orElse("unknown")));
    sevGuest.ifPresent(node -> lines.add("SEV-SNP guest device: " + node.describe()
        + " (SNP_GET_EXT_REPORT, SNP_GET_DERIVED_KEY)"));
    tdxGuest.ifPresent(node -> lines.add("TDX guest device: " + node.describe() + " (TDREPORT only: quotes need"
        + " configfs-tsm, kernel 6.7+, and the host's quote generation service)"));
    nsm.ifPresent(node -> lines.add("AWS Nitro Secure Module: " + node.describe()));
    lines.addAll(notes);
    if (!anyTee()) {
      lines.add(NO_TEE);
    } else {
      lines.add(preferred().map(p -> "preferred platform: " + p + " via " + mechanism(p))
          .orElse("no usable hardware attestation here: only the simulated platform (INSECURE) is available"));
    }
    return lines;
  }

  private String mechanism(Platform platform) {
    if (platform == Platform.NITRO) {
      return "/dev/nsm";
    }
    if (configfsTsm.isEmpty()) {
      return sevGuest.map(node -> node.path().toString()).orElse("configfs-tsm");
    }
    if (tsmProvider.isPresent() || platform == Platform.TDX || sevGuest.isEmpty()) {
      return "configfs-tsm";
    }
    return "configfs-tsm, else " + sevGuest.get().path();
  }
}
