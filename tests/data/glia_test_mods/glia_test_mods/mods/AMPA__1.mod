TITLE

COMMENT
ENDCOMMENT

NEURON {
    POINT_PROCESS glia__glia_test_mods__AMPA__1
    NONSPECIFIC_CURRENT i
    RANGE gmax, erev, g, i
    RANGE U, tau_rec, tau_facil, tau_in, u0
    RANGE Tmax, Tdur, T, Tspill
    RANGE kon, koff, kdes, kres, kd
    RANGE spillover, Dglu, rsite, depth
    RANGE q10_rate, q10_cond, scale
    RANGE spike_times, released, nspikes
    RANGE x_now, y_now, z_now, u_now
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (pS) = (picosiemens)
    (mM) = (milli/liter)
    (um) = (micrometer)
    PI = (pi) (1)
}

PARAMETER {
    syntype
    gmax = 800 (pS)
    erev = 0 (mV)
    U = 0.6 (1) <0,1>
    tau_rec = 120 (ms) <1e-9,1e9>
    tau_facil = 0 (ms) <0,1e9>
    tau_in = 4 (ms) <1e-9,1e9>
    u0 = 0 (1) <0,1>
    Tmax = 1 (mM)
    Tdur = 0.3 (ms)
    kon = 4.6
    koff = 0.9 (/ms)
    kdes = 0.015
    kres = 1.3
    kd = 0.5 (mM)
    spillover = 0
    Dglu = 0.2 (um2/ms)
    rsite = 1.1 (um)
    depth = 20 (nm)
    q10_rate = 2.2
    q10_cond = 1.1
    scale = 1
    celsius (degC)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (pS)
    T (mM)
    Tspill (mM)
    ron (/ms)
    rdes (/ms)
    spike_times[1000] (ms)
    released[1000]
    nspikes
    x_now
    y_now
    z_now
    u_now
    qr (1)
    qg (1)
}

STATE {
    C
    O
    D
}

INITIAL {
    LOCAL k
    C = 1
    O = 0
    D = 0
    T = 0 (mM)
    Tspill = 0 (mM)
    nspikes = 0
    qr = q10_rate^((celsius - 30)/10)
    qg = q10_cond^((celsius - 30)/10)
    FROM k = 0 TO 999 {
        spike_times[k] = -1e9
        released[k] = 0
    }
    IF (tau_in >= tau_rec) {
        printf("AMPA: tau_in (%g) must stay below tau_rec (%g)\n", tau_in, tau_rec)
        tau_rec = tau_in + 1e-5
    }
}

FUNCTION larger(a, b) {
    IF (a > b) {
        larger = a
    } ELSE {
        larger = b
    }
}

: Transmitter from the last few releases reaching this site by diffusion.
FUNCTION spilled() (mM) {
    LOCAL sum, k, first, last, slot, dt0
    sum = 0
    first = larger(nspikes - 4, 0)
    last = nspikes - 1
    FROM k = first TO last {
        slot = fmod(k, 1000)
        dt0 = t - spike_times[slot]
        IF (dt0 > 0) {
            sum = sum + released[slot]*exp(-rsite*rsite/(4*Dglu*dt0))/(4*PI*Dglu*dt0*depth*1e-3)
        }
    }
    spilled = sum
}

BREAKPOINT {
    IF (spillover) {
        Tspill = T + spilled()
    } ELSE {
        Tspill = T
    }
    SOLVE kstates METHOD sparse
    g = gmax*qg*O*scale
    i = (1e-6)*g*(v - erev)
}

KINETIC kstates {
    ron = kon*Tspill^2/(Tspill + kd)^2
    rdes = kdes*Tspill/(Tspill + kd)
    ~ C <-> O (ron*qr, koff*qr)
    ~ O <-> D (rdes*qr, kres*1e-2*qr)
    CONSERVE C + O + D = 1
}

: Tsodyks-Markram release: x available, y in the cleft, z recovering.
NET_RECEIVE (weight, on, x, y, z, u, tlast (ms)) {
    LOCAL slot
    INITIAL {
        x = 1
        y = 0
        z = 0
        u = u0
        tlast = t
        on = 0
    }
    IF (flag == 0) {
        z = z*exp(-(t - tlast)/tau_rec) + y*(1 - exp(-(t - tlast)/tau_in))
        y = y*exp(-(t - tlast)/tau_in)
        x = 1 - y - z
        IF (tau_facil > 0) {
            u = u*exp(-(t - tlast)/tau_facil) + U*(1 - u*exp(-(t - tlast)/tau_facil))
        } ELSE {
            u = U
        }
        y = y + x*u
        tlast = t
        slot = fmod(nspikes, 1000)
        spike_times[slot] = t
        released[slot] = y*weight
        nspikes = nspikes + 1
        x_now = x
        y_now = y
        z_now = z
        u_now = u
        T = Tmax*y
        on = 1
        net_send(Tdur, 1)
    } ELSE IF (flag == 1) {
        T = 0
        on = 0
    }
}
