"""What gliad reports of packages, in the shape the Python Glia had."""


class Mod:
    def __init__(self, m):
        self.mod_name = m["full"]
        self.asset_name = m["asset"]
        self.variant = m["variant"]
        self.relpath = m.get("file")
        self.is_point_process = m["kind"] != "density"
        self.is_artificial_cell = m["kind"] == "artificial"

    def __repr__(self):
        return f"<Mod {self.mod_name}>"


class Package:
    def __init__(self, glia, info):
        self._glia = glia
        self.name = info["name"]
        self.version = info.get("version")
        self.root = info.get("root")
        self.layout = info.get("layout")
        self._info = info

    @property
    def mods(self):
        if "mechanisms" not in self._info:
            self._info = self._glia._call("package", {"name": self.name})
        return [Mod(m) for m in self._info["mechanisms"]]

    def __repr__(self):
        return f"<Package {self.name} {self.version or ''}>"
