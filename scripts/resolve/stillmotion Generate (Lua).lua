--[[
stillmotion Generate (Lua): the stillmotion menu where Resolve runs only Lua menu scripts.

Why Lua: DaVinci Resolve 21.1 moved Python scripting to Studio, so the free Resolve 21.1+ runs
only Lua menu scripts. Lua cannot import stillmotion: each command exports what it needs (the
timeline as OTIO, the viewer still), runs the `stillmotion` command the installer recorded in
stillmotion_resolve.ini, asks the Python bridge (`python -m stillmotion.resolve.lua_bridge`)
what the result holds, which track a clip goes on and which gated calls this build has, and
places the results with Resolve calls. The track rule and the version table live in Python only.

Where the pieces are: this file is the menu entry; the modules, one job each, are in the folder
stillmotion_lua. Files in Fusion/Scripts/<menu> become menu entries, so the installer puts the
modules in Fusion/Modules/Lua/stillmotion_lua (the Fusion folder kept for Lua modules), and this
file loads them with loadfile from paths it computes (beside it in the source tree, then
../../Modules/Lua from its own folder, then the per-OS user folders), not from package.path:
  util (files, commands, the bridge)      session (project, page, export, background tasks)
  place (import and place, undo on failure)      generate (generate, batch, take, extend, fill-gap)
  new_timeline (generate into a new timeline)    finishing (review, turnover, ingest)      ui
]]

local SEP = package.config:sub(1, 1)
local MODULES = "stillmotion_lua"

local function script_folder()
  local source = debug.getinfo(1, "S").source
  if source:sub(1, 1) == "@" then
    return source:sub(2):match("^(.*)[/\\][^/\\]*$")
  end
  return nil
end

-- The per-user Fusion folders Resolve reads (the installer writes there).
local function fusion_roots()
  if SEP == "\\" then
    return {(os.getenv("APPDATA") or "") .. "\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion"}
  end
  local home = os.getenv("HOME") or ""
  return {home .. "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion",
          home .. "/.local/share/DaVinciResolve/Fusion"}
end

-- Folders that may hold the modules, and folders that may hold the installer's ini.
local function candidates(here)
  local modules, configs = {}, {}
  if here then
    table.insert(modules, here .. SEP .. MODULES)
    table.insert(modules, here .. SEP .. ".." .. SEP .. ".." .. SEP .. "Modules" .. SEP .. "Lua" ..
                          SEP .. MODULES)
    table.insert(configs, here)
  end
  for _, root in ipairs(fusion_roots()) do
    table.insert(modules, root .. SEP .. "Modules" .. SEP .. "Lua" .. SEP .. MODULES)
    for _, menu in ipairs({"Utility", "Edit"}) do
      table.insert(configs, root .. SEP .. "Scripts" .. SEP .. menu)
    end
  end
  return modules, configs
end

-- The module loader: sm.need(name) runs <folder>/<name>.lua once, handing it `sm`.
local function loader(folders)
  for _, folder in ipairs(folders) do
    local probe = io.open(folder .. SEP .. "util.lua", "r")
    if probe then
      probe:close()
      local sm, loaded = {folder = folder}, {}
      function sm.need(name)
        if loaded[name] == nil then
          local chunk, problem = loadfile(folder .. SEP .. name .. ".lua")
          if not chunk then error("stillmotion: " .. problem .. "; reinstall the scripts.", 0) end
          loaded[name] = chunk(sm)
        end
        return loaded[name]
      end
      return sm
    end
  end
  error("stillmotion: the stillmotion_lua modules are missing; run " ..
        "`python scripts/install_resolve_scripts.py` again.", 0)
end

local module_folders, config_folders = candidates(script_folder())
local sm = loader(module_folders)
local util = sm.need("util")
local launcher = {modules = sm, read_config = util.read_config, run = util.run}

-- Generate into a new timeline: (message, timeline) or error("stillmotion: ...").
function launcher.generate(resolve, answers, config)
  return sm.need("new_timeline").generate(resolve, answers, config)
end

-- Any other command on the current timeline: a message or error("stillmotion: ...").
function launcher.command(resolve, name, answers, config)
  local finishing = sm.need("finishing")
  if finishing.NAMES[name] then return finishing.command(resolve, name, answers, config) end
  return sm.need("generate").command(resolve, name, answers, config)
end

function launcher.main(env)
  local ui = sm.need("ui")
  local config = util.read_config(config_folders)
  local answers = ui.ask(env.fu, env.bmd)
  if not answers then return end
  local ok, message
  if (answers.command or "generate") == "generate" then
    ok, message = pcall(launcher.generate, env.resolve, answers, config)
  else
    local name = answers.command == "place" and "generate" or answers.command
    ok, message = pcall(launcher.command, env.resolve, name, answers, config)
  end
  if ok then message = "stillmotion: " .. message end
  ui.tell(env.fu, env.bmd, message)
end

if STILLMOTION_LAUNCHER_TEST then
  return launcher
end
launcher.main({resolve = resolve or Resolve(), fu = fu or fusion, bmd = bmd})
