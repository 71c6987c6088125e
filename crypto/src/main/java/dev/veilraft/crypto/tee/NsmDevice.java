package dev.veilraft.crypto.tee;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.sun.jna.Memory;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.attestation.AttestationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Path;

/**
 * The AWS Nitro Secure Module, {@code /dev/nsm}, through its one ioctl ({@code NSM_IOCTL_RAW},
 * include/uapi/linux/nsm.h; the same layout as aws-nitro-enclaves-nsm-api's {@code NsmMessage}):
 * a CBOR request in, a CBOR response out. Only the attestation request is implemented:
 * <pre>
 *   request  {"Attestation": {"user_data": bstr / null, "nonce": bstr / null, "public_key": bstr / null}}
 *   response {"Attestation": {"document": bstr}}  or  {"Error": "InvalidArgument" / ...}
 * </pre>
 * as serde_cbor encodes the nsm-api's {@code Request::Attestation} and {@code Response} enums. The
 * document is an untagged COSE_Sign1 the verifier checks against the AWS Nitro root. The raw ioctl
 * needs CAP_SYS_ADMIN on the upstream driver: an unprivileged caller gets EPERM.
 */
public final class NsmDevice implements AutoCloseable {
  /** Where the NSM driver puts its device. */
  public static final Path PATH_DEFAULT = Path.of("/dev/nsm");
  /** NSM_REQUEST_MAX_SIZE. */
  public static final int REQUEST_BYTES_MAX = 0x1000;
  /** NSM_RESPONSE_MAX_SIZE: the driver writes at most this much. */
  public static final int RESPONSE_BYTES_MAX = 0x3000;
  /**
   * Bound on each of user_data, nonce and public_key: three at this size plus their CBOR framing
   * stay under {@link #REQUEST_BYTES_MAX}. AWS documents smaller per-field limits; the NSM enforces them.
   */
  public static final int FIELD_BYTES_MAX = 1024;

  private static final CBORMapper CBOR = new CBORMapper();

  private final OpenDevice device;

  private NsmDevice(OpenDevice device) {
    this.device = device;
  }

  /** Opens {@code devicePath} (normally {@link #PATH_DEFAULT}) read-write. */
  public static NsmDevice open(Path devicePath) throws AttestationException {
    return open(devicePath, LibcDeviceIo.INSTANCE);
  }

  static NsmDevice open(Path devicePath, DeviceIo io) throws AttestationException {
    return new NsmDevice(OpenDevice.open(devicePath, io, "Nitro Secure Module", "this is not a Nitro enclave"));
  }

  public Path path() {
    return device.path();
  }

  /** An attestation document binding {@code userData} (and optionally a nonce and public key; null for none). */
  public synchronized byte[] attestation(byte[] userData, byte[] nonce, byte[] publicKey) throws AttestationException {
    byte[] request = attestationRequest(userData, nonce, publicKey);
    Memory in = new Memory(request.length);
    in.write(0, request, 0, request.length);
    Memory out = new Memory(RESPONSE_BYTES_MAX);
    out.clear();
    KernelAbi.NsmRaw raw = new KernelAbi.NsmRaw();
    raw.request.addr = KernelAbi.address(in);
    raw.request.len = request.length;
    raw.response.addr = KernelAbi.address(out);
    raw.response.len = RESPONSE_BYTES_MAX;
    raw.write();
    try {
      device.ioctl(Ioctl.NSM_IOCTL_RAW, raw.getPointer());
    } catch (ErrnoException e) {
      throw new AttestationException("NSM_IOCTL_RAW (Attestation) on " + device.path() + " failed: "
          + Errno.describe(e.errno()) + (e.errno() == Errno.EPERM ? "; the raw NSM ioctl needs CAP_SYS_ADMIN" : ""), e);
    } finally {
      // The driver reads and writes these buffers through raw addresses the collector cannot see.
      Reference.reachabilityFence(raw);
      Reference.reachabilityFence(in);
      Reference.reachabilityFence(out);
    }
    raw.read();
    long written = raw.response.len;
    if (written <= 0 || written > RESPONSE_BYTES_MAX) {
      throw new AttestationException("the NSM on " + device.path() + " reported a " + written + "-byte response, outside 1.."
          + RESPONSE_BYTES_MAX);
    }
    return attestationDocument(out.getByteArray(0, (int) written));
  }

  /** The CBOR of an Attestation request, with definite lengths as serde_cbor writes them. */
  static byte[] attestationRequest(byte[] userData, byte[] nonce, byte[] publicKey) {
    checkField(userData, "user_data");
    checkField(nonce, "nonce");
    checkField(publicKey, "public_key");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (CBORGenerator out = new CBORFactory().createGenerator(bytes)) {
      out.writeStartObject(null, 1);
      out.writeFieldName("Attestation");
      out.writeStartObject(null, 3);
      writeField(out, "user_data", userData);
      writeField(out, "nonce", nonce);
      writeField(out, "public_key", publicKey);
      out.writeEndObject();
      out.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("CBOR encoding into memory failed", e);
    }
    byte[] request = bytes.toByteArray();
    Check.invariant(request.length <= REQUEST_BYTES_MAX, "NSM request within NSM_REQUEST_MAX_SIZE");
    return request;
  }

  /** The document of an Attestation response; the NSM's error code, named, otherwise. */
  static byte[] attestationDocument(byte[] response) throws AttestationException {
    JsonNode root;
    try {
      root = CBOR.readTree(response);
    } catch (JsonParseException e) {
      throw new AttestationException("the NSM response is not CBOR: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new AttestationException("the NSM response could not be read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || root.size() != 1) {
      throw new AttestationException("the NSM response is not a one-entry CBOR map");
    }
    JsonNode error = root.get("Error");
    if (error != null) {
      throw new AttestationException("the NSM refused the attestation request: "
          + Check.printable(error.isTextual() ? error.textValue() : error.toString()));
    }
    JsonNode document = root.path("Attestation").path("document");
    if (!document.isBinary()) {
      throw new AttestationException("the NSM response is neither Attestation{document} nor Error, but "
          + Check.printable(root.fieldNames().next()));
    }
    try {
      return document.binaryValue();
    } catch (IOException e) {
      throw new AttestationException("the NSM document could not be read", e);
    }
  }

  private static void checkField(byte[] value, String name) {
    Check.argument(value == null || value.length <= FIELD_BYTES_MAX,
        name + " must be at most " + FIELD_BYTES_MAX + " bytes, got " + (value == null ? 0 : value.length));
  }

  private static void writeField(CBORGenerator out, String name, byte[] value) throws IOException {
    out.writeFieldName(name);
    if (value == null) {
      out.writeNull();
    } else {
      out.writeBinary(value);
    }
  }

  @Override
  public void close() {
    device.close();
  }

  @Override
  public String toString() {
    return "NsmDevice{" + device.path() + "}";
  }
}
