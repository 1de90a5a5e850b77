package dev.veil.cli;

import static dev.veil.cli.Shell.onPath;
import static dev.veil.cli.Shell.query;

import dev.veil.config.Cidr;
import dev.veil.config.ConfigException;
import dev.veil.config.ConfigParser;
import dev.veil.config.ConfigWriter;
import dev.veil.config.InterfaceSection;
import dev.veil.config.KeyFile;
import dev.veil.config.PeerSection;
import dev.veil.config.UapiSet;
import dev.veil.config.WgConfig;
import dev.veil.linux.LinuxTun;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import java.util.regex.Pattern;

/**
 * What {@code veil up} and {@code veil down} do, step for step as wg-quick does it on Linux: start the userspace
 * daemon, run the hooks, apply the {@code wg} keys over UAPI, add addresses, set the MTU (computed as wg-quick
 * does when unset), DNS through resolvconf, routes from AllowedIPs with wg-quick's fwmark policy routing and
 * {@link Firewall} rules for /0, and SaveConfig on the way down. Each system command is echoed as {@code [#] command} on stderr. Operator mistakes
 * are {@link UserError}s. When {@code up} fails, or a signal interrupts it, it undoes what it did, as wg-quick's
 * trap does.
 *
 * <p>One per command. {@link #up} and {@link #down} run on one thread; {@link #onSignal} comes from a shutdown hook.
 */
final class Quick {
    /** Starts the daemon that creates the interface (bin/veil-userspace, or one in this JVM). */
    @FunctionalInterface
    interface Starter {
        void start(String ifname) throws IOException, InterruptedException;
    }

    private enum Phase { IDLE, UP, RUNNING, DOWN, DONE }

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_=+.-]{1,15}");
    private static final Pattern FILE = Pattern.compile("(^|/)([a-zA-Z0-9_=+.-]{1,15})\\.conf$");
    /**
     * Where a bare interface name is looked up: /etc/veil, then /etc/wireguard; the environment variable
     * VEIL_CONFIG_PATH (directories separated by ':') replaces that list.
     */
    static final List<Path> SEARCH = searchPath(System.getenv("VEIL_CONFIG_PATH"));

    static List<Path> searchPath(String env) {
        if (env == null || env.isBlank()) return List.of(Path.of("/etc/veil"), Path.of("/etc/wireguard"));
        return java.util.Arrays.stream(env.split(":")).filter(d -> !d.isBlank()).map(Path::of).toList();
    }

    private final PrintStream err;
    private final Shell sh;
    final Path file;
    final String ifname;
    WgConfig config;
    /** {@code veil up --insecure-permissions}: use a PrivateKeyFile that others may read or write. */
    boolean insecurePermissions;
    private Phase phase = Phase.IDLE;  // guarded by this
    private volatile boolean aborting;
    private volatile Process hook;  // the hook running now, which a signal during up ends
    private boolean dnsSet;
    private boolean firewallSet;

    private Quick(Path file, String ifname, PrintStream err) {
        this.file = file;
        this.ifname = ifname;
        this.err = err;
        this.sh = new Shell(err, this::step);
    }

    /** Finds the configuration: a bare name in /etc/veil then /etc/wireguard, or a path NAME.conf. */
    static Quick locate(String arg, PrintStream err, boolean mustExist) {
        Path f;
        if (NAME.matcher(arg).matches()) {
            f = SEARCH.stream().map(d -> d.resolve(arg + ".conf")).filter(Files::exists).findFirst()
                .orElse(SEARCH.get(0).resolve(arg + ".conf"));
            if (!Files.exists(f) && mustExist) {
                throw new UserError("no configuration for " + arg + " (looked for /etc/veil/" + arg + ".conf and /etc/wireguard/" + arg + ".conf)");
            }
            if (!Files.exists(f)) return new Quick(null, arg, err);
        } else {
            f = Path.of(arg);
            if (!Files.exists(f)) throw new UserError("`" + arg + "' does not exist");
        }
        Matcher m = FILE.matcher(f.toString());
        if (!m.find()) throw new UserError("the config file must be a valid interface name, followed by .conf: " + f);
        try {
            // The name comes from the path given, the file is the one it links to (wg-quick's readlink -f), so that
            // SaveConfig rewrites the file and not the link.
            return new Quick(f.toRealPath(), m.group(2), err);
        } catch (IOException e) {
            throw new UserError("`" + arg + "': " + e.getMessage());
        }
    }

    /**
     * Parses the file, warning as wg-quick does when others may read it; a file whose private key is in a
     * PrivateKeyFile and that holds no preshared key has no secret to warn about.
     */
    void load() {
        if (file == null) {
            config = null;
            return;
        }
        try {
            config = ConfigParser.parse(file);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
        boolean secret = config.iface().privateKeyFile().isEmpty()
            || config.peers().stream().anyMatch(p -> p.presharedKey() != null);
        String warning = secret ? ConfigParser.permissionWarning(file) : null;
        if (warning != null) err.println(warning);
    }

    // ---- up -----------------------------------------------------------------------------------------------------

    /**
     * The starter of {@code veil up}: bin/veil-userspace, which leaves the daemon running in the background; with an
     * account, the daemon drops to it (VEIL_USER and VEIL_GROUP, through env).
     */
    Starter userspace(Path veilHome, dev.veil.linux.Account account) {
        String exe = veilHome.resolve("bin/veil-userspace").toString();
        if (account == null) return name -> sh.cmd(exe, name);
        return name -> sh.cmd("env", "VEIL_USER=" + account.user(), "VEIL_GROUP=" + account.group(), exe, name);
    }

    /**
     * Brings the interface up. On failure, or when {@link #onSignal} interrupts it, it takes away the policy routing
     * rules and the interface again and throws. Afterwards a signal takes the interface down until {@link #detach}.
     */
    void up(Starter starter) throws IOException, InterruptedException {
        if (deviceMtu(ifname) != Integer.MAX_VALUE) throw new UserError("`" + ifname + "' already exists");
        byte[] privateKey;
        try {
            privateKey = KeyFile.privateKey(file, config.iface(), insecurePermissions);
        } catch (ConfigException e) {
            throw new UserError(e.getMessage());
        }
        try {
            up(starter, privateKey);
        } finally {
            if (privateKey != null) Arrays.fill(privateKey, (byte) 0);
        }
    }

    private void up(Starter starter, byte[] privateKey) throws IOException, InterruptedException {
        synchronized (this) {
            phase = Phase.UP;
        }
        InterfaceSection iface = config.iface();
        try {
            step();
            starter.start(ifname);
            hooks(iface.preUp());
            step();
            err.println("[#] wg setconf " + ifname + " (the wg keys of " + file + ", over UAPI)");
            String request = UapiSet.request(config, privateKey, host -> InetAddress.getByName(host).getAddress());
            int errno = UapiClient.raw(ifname, request);
            if (errno != 0) throw new UserError("the device refused the configuration (errno " + errno + ")");
            for (Cidr a : iface.addresses()) sh.cmd("ip", family(a), "address", "add", a.toString(), "dev", ifname);
            setMtuUp(iface);
            setDns(iface);
            List<Cidr> routes = new ArrayList<>();
            for (PeerSection p : config.peers()) routes.addAll(p.allowedIps());
            routes.sort(Comparator.comparingInt(Cidr::length).reversed());
            for (Cidr r : routes) addRoute(iface, masked(r));
            hooks(iface.postUp());
            synchronized (this) {
                step();
                enter(Phase.RUNNING);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                delIf(iface);
            } catch (IOException | RuntimeException cleanup) {
                err.println("[!] undoing " + ifname + ": " + cleanup.getMessage());
            } finally {
                enter(Phase.DONE);
            }
            throw e;
        }
    }

    /** A signal no longer takes the interface down: {@code veil up} has done its job and returns. */
    void detach() {
        synchronized (this) {
            if (phase == Phase.RUNNING) phase = Phase.DONE;
        }
    }

    /**
     * From a shutdown hook (SIGINT, SIGTERM): stops an {@link #up} in progress, ending the hook it runs, and waits (a
     * minute at most) while it undoes itself; or takes down an interface that is up and not detached. Otherwise does
     * nothing.
     */
    void onSignal() {
        try {
            synchronized (this) {
                if (phase == Phase.IDLE) aborting = true;
                if (phase == Phase.UP) {
                    aborting = true;
                    Process running = hook;
                    if (running != null) end(running);
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                    while (phase == Phase.UP && System.nanoTime() < deadline) {
                        TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
                    }
                    return;
                }
                if (phase != Phase.RUNNING) return;
                phase = Phase.DOWN;
            }
            down();
        } catch (IOException | RuntimeException e) {
            err.println("veil: taking down " + ifname + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            enter(Phase.DONE);
        }
    }

    private synchronized void enter(Phase next) {
        phase = next;
        notifyAll();
    }

    /** Throws when a signal asked {@link #up} to stop; checked before each command. */
    private void step() {
        if (aborting) throw new UserError("interrupted; taking " + ifname + " down again");
    }

    private void setMtuUp(InterfaceSection iface) throws IOException, InterruptedException {
        if (iface.mtu().isPresent()) {
            sh.cmd("ip", "link", "set", "mtu", String.valueOf(iface.mtu().getAsInt()), "up", "dev", ifname);
            return;
        }
        int mtu = Integer.MAX_VALUE;
        UapiClient.Status s = UapiClient.get(ifname);
        for (Map<String, List<String>> p : s.peers()) {
            String ep = s.first(p, "endpoint");
            if (ep == null) continue;
            String host = ep.substring(0, ep.lastIndexOf(':')).replace("[", "").replace("]", "");
            mtu = Math.min(mtu, routeMtu(query("ip", "route", "get", host)));
        }
        if (mtu == Integer.MAX_VALUE) {
            mtu = routeMtu(query("ip", "route", "show", "default").lines().findFirst().orElse(""));
        }
        if (mtu <= 0 || mtu == Integer.MAX_VALUE) mtu = 1500;
        sh.cmd("ip", "link", "set", "mtu", String.valueOf(mtu - 80), "up", "dev", ifname);
    }

    /** The MTU a route line names, or its device's MTU; MAX_VALUE when neither is known. */
    private int routeMtu(String route) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("mtu (\\d+)").matcher(route);
        if (m.find()) return Integer.parseInt(m.group(1));
        Matcher d = Pattern.compile("dev (\\S+)").matcher(route);
        return d.find() ? deviceMtu(d.group(1)) : Integer.MAX_VALUE;
    }

    /**
     * A device's MTU, or MAX_VALUE when there is no such device: asked of the kernel directly, which is what
     * `ip link show` prints, without a process for it; through `ip` only when the kernel's answer is an error.
     */
    private static int deviceMtu(String dev) throws IOException, InterruptedException {
        try {
            int mtu = LinuxTun.interfaceMtu(dev);
            return mtu < 0 ? Integer.MAX_VALUE : mtu;
        } catch (IOException e) {
            Matcher lm = Pattern.compile("mtu (\\d+)").matcher(query("ip", "link", "show", "dev", dev));
            return lm.find() ? Integer.parseInt(lm.group(1)) : Integer.MAX_VALUE;
        }
    }

    private void setDns(InterfaceSection iface) throws IOException, InterruptedException {
        if (iface.dns().isEmpty()) return;
        if (!onPath("resolvconf")) {
            err.println("[!] DNS is set but resolvconf is not installed; leaving DNS unchanged");
            return;
        }
        StringBuilder in = new StringBuilder();
        for (String d : iface.dns()) in.append("nameserver ").append(d).append('\n');
        if (!iface.dnsSearch().isEmpty()) in.append("search ").append(String.join(" ", iface.dnsSearch())).append('\n');
        String[] c = {"resolvconf", "-a", ifname, "-m", "0", "-x"};
        if (sh.feed(in.toString(), String.join(" ", c), c) != 0) throw new UserError("resolvconf failed");
        dnsSet = true;
    }

    private void addRoute(InterfaceSection iface, String prefix) throws IOException, InterruptedException {
        String table = iface.table().orElse("auto");
        String fam = prefix.contains(":") ? "-6" : "-4";
        if (table.equals("off")) return;
        if (!table.equals("auto")) {
            sh.cmd("ip", fam, "route", "add", prefix, "dev", ifname, "table", table);
        } else if (prefix.endsWith("/0")) {
            addDefault(prefix, fam);
        } else if (query("ip", fam, "route", "show", "dev", ifname, "match", prefix).isBlank()) {
            sh.cmd("ip", fam, "route", "add", prefix, "dev", ifname);
        }
    }

    private void addDefault(String prefix, String fam) throws IOException, InterruptedException {
        long table = fwmark();
        if (table == 0) {
            table = 51820;
            while (!query("ip", "-4", "route", "show", "table", String.valueOf(table)).isBlank()
                || !query("ip", "-6", "route", "show", "table", String.valueOf(table)).isBlank()) {
                table++;
            }
            err.println("[#] wg set " + ifname + " fwmark " + table);
            int errno = UapiClient.set(ifname, "fwmark=" + table + "\n");
            if (errno != 0) throw new UserError("setting fwmark failed (errno " + errno + ")");
        }
        String t = String.valueOf(table);
        sh.cmd("ip", fam, "rule", "add", "not", "fwmark", t, "table", t);
        sh.cmd("ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0");
        sh.cmd("ip", fam, "route", "add", prefix, "dev", ifname, "table", t);
        if (fam.equals("-4") && !query("sysctl", "-n", "net.ipv4.conf.all.src_valid_mark").strip().equals("1")) {
            sh.cmd("sysctl", "-q", "net.ipv4.conf.all.src_valid_mark=1");
        }
        firewallSet = true;
        Firewall.add(sh, err, ifname, fam, table);
    }

    private long fwmark() throws IOException {
        return fwmarkOf(UapiClient.get(ifname));
    }

    private static long fwmarkOf(UapiClient.Status s) {
        String v = s.device().get("fwmark");
        return v == null ? 0 : Long.parseLong(v);
    }

    // ---- down ---------------------------------------------------------------------------------------------------

    /** Takes the interface down: PreDown, SaveConfig, deletion (which stops the daemon), DNS, firewall, PostDown. */
    void down() throws IOException, InterruptedException {
        if (!Files.exists(UapiClient.socket(ifname))) throw new UserError("`" + ifname + "' is not a WireGuard interface");
        InterfaceSection iface = config == null ? InterfaceSection.EMPTY : config.iface();
        hooks(iface.preDown());
        if (iface.saveConfig() && file != null) saveConfig();
        delIf(iface);
        awaitGone();
        if (!iface.dns().isEmpty() && onPath("resolvconf")) sh.cmdQuiet("resolvconf", "-d", ifname, "-f");
        Firewall.remove(sh, ifname);
        hooks(iface.postDown());
    }

    /**
     * wg-quick's del_if: the DNS and firewall rules that this {@link #up} set, the policy routing rules of a /0 route
     * (Table unset or auto), then the interface.
     */
    private void delIf(InterfaceSection iface) throws IOException, InterruptedException {
        if (dnsSet) sh.cmdQuiet("resolvconf", "-d", ifname, "-f");
        if (firewallSet) Firewall.remove(sh, ifname);
        long table = 0;
        boolean hasDefault = false;
        if (Files.exists(UapiClient.socket(ifname))) {
            UapiClient.Status s = UapiClient.get(ifname);
            table = fwmarkOf(s);
            hasDefault = s.peers().stream().flatMap(p -> p.getOrDefault("allowed_ip", List.of()).stream())
                .anyMatch(a -> a.endsWith("/0"));
        }
        if (iface.table().orElse("auto").equals("auto") && table != 0 && hasDefault) {
            for (String fam : List.of("-4", "-6")) {
                while (query("ip", fam, "rule", "show").contains("lookup " + table)) {
                    if (sh.cmdQuiet("ip", fam, "rule", "delete", "table", String.valueOf(table)) != 0) break;
                }
                while (query("ip", fam, "rule", "show").contains("from all lookup main suppress_prefixlength 0")) {
                    if (sh.cmdQuiet("ip", fam, "rule", "delete", "table", "main", "suppress_prefixlength", "0") != 0) break;
                }
            }
        }
        sh.cmdQuiet("ip", "link", "delete", "dev", ifname);
    }

    /**
     * Waits (10 s at most) for the daemon to notice the deletion and remove its socket, or stop answering on it: a
     * daemon that dropped its privileges cannot remove it, and its stale socket is removed here.
     */
    private void awaitGone() throws InterruptedException {
        Path sock = UapiClient.socket(ifname);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(sock) && UapiClient.answers(sock) && System.nanoTime() < deadline) Thread.sleep(50);
        if (Files.exists(sock) && !UapiClient.answers(sock)) {
            try {
                Files.deleteIfExists(sock);
            } catch (IOException e) {
                err.println("[!] cannot remove the stale " + sock + ": " + e.getMessage());
            }
        }
        if (Files.exists(sock)) err.println("[!] the daemon of " + ifname + " did not remove " + sock);
    }

    private void saveConfig() throws IOException, InterruptedException {
        UapiClient.Status s = UapiClient.get(ifname);
        InterfaceSection old = config.iface();
        List<String> addrs = new ArrayList<>();
        Matcher m = Pattern.compile("inet6? (\\S+)").matcher(query("ip", "-o", "address", "show", "dev", ifname));
        while (m.find()) addrs.add(m.group(1));
        StringBuilder text = new StringBuilder("[Interface]\n");
        for (String a : addrs) text.append("Address = ").append(a).append('\n');
        for (String d : old.dns()) text.append("DNS = ").append(d).append('\n');
        for (String d : old.dnsSearch()) text.append("DNS = ").append(d).append('\n');
        if (old.mtu().isPresent()) {
            Matcher mm = Pattern.compile("mtu (\\d+)").matcher(query("ip", "link", "show", "dev", ifname));
            if (mm.find()) text.append("MTU = ").append(mm.group(1)).append('\n');
        }
        old.table().ifPresent(t -> text.append("Table = ").append(t).append('\n'));
        text.append("SaveConfig = true\n");
        for (String h : old.preUp()) text.append("PreUp = ").append(h).append('\n');
        for (String h : old.postUp()) text.append("PostUp = ").append(h).append('\n');
        for (String h : old.preDown()) text.append("PreDown = ").append(h).append('\n');
        for (String h : old.postDown()) text.append("PostDown = ").append(h).append('\n');
        String body = ShowConf.body(s);
        if (old.privateKeyFile().isPresent()) {
            // The key stays in its file: the config names the file again instead of holding the key.
            text.append("PrivateKeyFile = ").append(old.privateKeyFile().get()).append('\n');
            body = body.lines().filter(l -> !l.startsWith("PrivateKey = ")).map(l -> l + "\n")
                .collect(Collectors.joining());
        }
        text.append(body);
        WgConfig saved;
        try {
            saved = ConfigParser.parse(file.getFileName().toString(), text.toString());
        } catch (ConfigException e) {
            throw new IOException("SaveConfig: the device's state did not form a valid config: " + e.getMessage());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, ConfigWriter.write(saved));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---- commands -----------------------------------------------------------------------------------------------

    private void hooks(List<String> hooks) throws IOException, InterruptedException {
        for (String h : hooks) {
            step();
            String c = h.replace("%i", ifname);
            err.println("[#] " + c);
            Process p = new ProcessBuilder("bash", "-c", c).inheritIO().start();
            hook = p;
            if (aborting) end(p);
            int exit;
            try {
                exit = p.waitFor();
            } finally {
                hook = null;
            }
            step();
            if (exit != 0) throw new UserError("hook failed (exit " + exit + "): " + c);
        }
    }

    /** Ends a hook and what it started, as Ctrl-C in a terminal does. */
    private static void end(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
    }

    private static String family(Cidr c) {
        return c.address().length == 16 ? "-6" : "-4";
    }

    /** The prefix with host bits cleared, as wg reports allowed IPs. */
    private static String masked(Cidr c) {
        byte[] a = c.address();
        for (int i = 0; i < a.length; i++) {
            int keep = Math.max(0, Math.min(8, c.length() - 8 * i));
            a[i] &= (byte) (0xff << (8 - keep));
        }
        return new Cidr(a, c.length()).toString();
    }
}
