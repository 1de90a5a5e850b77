package dev.veil.uapi;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** A test client on a UAPI socket: sends a request and reads until its answer's {@code errno=N} and blank line. */
final class UapiClient implements AutoCloseable {
    private static final Pattern END = Pattern.compile("(?s).*errno=-?\\d+\n\n");
    final SocketChannel channel;

    UapiClient(Path socket) throws IOException {
        channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    String ask(String request) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(request.getBytes(US_ASCII));
        while (out.hasRemaining()) channel.write(out);
        StringBuilder answer = new StringBuilder();
        ByteBuffer in = ByteBuffer.allocate(4096);
        while (!END.matcher(answer).matches()) {
            in.clear();
            if (channel.read(in) < 0) throw new IOException("the server closed after: " + answer);
            answer.append(new String(in.array(), 0, in.position(), US_ASCII));
        }
        return answer.toString();
    }

    /** True when the server has closed the connection (a read sees the end); blocks until it does. */
    boolean closedByServer() throws IOException {
        return channel.read(ByteBuffer.allocate(1)) < 0;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
