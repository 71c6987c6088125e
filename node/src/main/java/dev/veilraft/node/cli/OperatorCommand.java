package dev.veilraft.node.cli;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.Operators;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Operator keys and endorsements of an operator's nodes. */
@Command(name = "operator", description = "Operator keys and node endorsements.",
    subcommands = {OperatorCommand.Keygen.class, OperatorCommand.Endorse.class})
final class OperatorCommand {
  /** Certificates are at most a few KiB; this bounds what is read. */
  static final long CERT_FILE_BYTES_MAX = 64 * 1024;

  private OperatorCommand() {}

  @Command(name = "keygen", description = {"Create an operator key pair (ECDSA P-256).",
      "Writes DIR/N.key (PKCS#8 PEM, mode 0600: keep it offline) and DIR/N.pub (SPKI PEM: share it for the genesis)."})
  static final class Keygen implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--name", required = true, paramLabel = "N", description = "The operator's name (as in the genesis).")
    String name;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write N.key and N.pub to.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (!Operators.NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("--name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-', "
            + "starting with a letter or digit");
      }
      Files.createDirectories(out);
      Path privateFile = out.resolve(name + ".key");
      Path publicFile = out.resolve(name + ".pub");
      if (Files.exists(privateFile) || Files.exists(publicFile)) {
        throw new IllegalArgumentException("refusing to overwrite " + (Files.exists(privateFile) ? privateFile
            : publicFile) + ": a lost operator key cannot be recovered");
      }
      OperatorKey key = OperatorKey.generate();
      key.writePrivateKey(privateFile);
      key.writePublicKey(publicFile);
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.println("wrote " + privateFile + " (private, 0600) and " + publicFile);
      stdout.println("public key sha256 " + key.fingerprintHex());
      return 0;
    }
  }

  @Command(name = "endorse", description = {"Endorse one of your nodes for a cluster.",
      "Signs \"veilraft/endorse/v1\" || cluster id || SHA-256(node identity SPKI) and writes the OperatorEndorsement "
          + "protobuf (binary) to --out; the node presents it when it joins."})
  static final class Endorse implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The operator's private key (N.key).")
    Path key;

    @Option(names = "--operator", required = true, paramLabel = "N", description = "The operator's name.")
    String operator;

    @Option(names = "--genesis", required = true, paramLabel = "FILE", description = "The cluster's genesis file.")
    Path genesis;

    @Option(names = "--node-identity", required = true, paramLabel = "FILE",
        description = "The node's identity certificate (PEM or DER).")
    Path nodeIdentity;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Endorsement file to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
      GenesisDocument doc = GenesisDocument.read(genesis);
      OperatorKey operatorKey = OperatorKey.load(key);
      PrintWriter stdout = spec.commandLine().getOut();
      Optional<Operator> listed = Operators.find(doc.operators(), operator);
      if (listed.isPresent()) {
        if (!Arrays.equals(listed.get().getPublicKeySpki().toByteArray(), operatorKey.publicKeySpki())) {
          throw new IllegalArgumentException(key + " is not operator '" + operator + "''s key in the genesis (sha256 "
              + OperatorKey.fingerprintHex(listed.get().getPublicKeySpki().toByteArray()) + ")");
        }
      } else {
        spec.commandLine().getErr().println("warning: '" + operator + "' is not a genesis operator (added by governance?); "
            + "the cluster accepts the endorsement only if the operator set in force lists this key");
      }
      if (Files.size(nodeIdentity) > CERT_FILE_BYTES_MAX) {
        throw new IllegalArgumentException(nodeIdentity + " is larger than " + CERT_FILE_BYTES_MAX + " bytes");
      }
      List<byte[]> certs = Certificates.readAll(Files.readAllBytes(nodeIdentity), nodeIdentity.toString());
      X509Certificate cert = Certificates.parse(certs.get(0), nodeIdentity.toString());
      byte[] spki = cert.getPublicKey().getEncoded();
      OperatorEndorsement endorsement = Endorsements.sign(operatorKey, operator, doc.clusterId(), spki);
      Operator self = Operator.newBuilder().setName(operator)
          .setPublicKeySpki(com.google.protobuf.ByteString.copyFrom(operatorKey.publicKeySpki())).build();
      Endorsements.verify(List.of(self), doc.clusterId(), spki, endorsement);
      Files.write(out, endorsement.toByteArray());
      stdout.println("endorsed node " + Certificates.nodeId(cert) + " as operator '" + operator + "' for cluster "
          + Hashes.shortHex(doc.clusterId(), 8) + "; wrote " + out);
      return 0;
    }
  }
}
