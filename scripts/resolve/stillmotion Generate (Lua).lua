--[[
stillmotion Generate (Lua): the stillmotion menu where Resolve runs only Lua menu scripts.

Why Lua: DaVinci Resolve 21.1 moved Python scripting to Studio, so the free Resolve 21.1+ runs
only Lua menu scripts. This launcher cannot import stillmotion; instead it exports the current
timeline as OTIO (Export with resolve.EXPORT_OTIO: a string silently writes nothing), runs the
`stillmotion generate TIMELINE --at TC --prompt ... --for resolve -o OUT.otio` command recorded by
install_resolve_scripts.py, and imports the result as a NEW timeline with ImportTimelineFromFile
(the current timeline is not edited: Lua cannot place clips the way the Python front end does).
The viewer still (ExportCurrentFrameAsStill) is passed with --image when the installed command
offers that option; otherwise the command grabs the ungraded source frame itself.

The dialog's other commands (generate at the playhead, batch on markers, a new take, extend and
fill-gap) place into the CURRENT timeline instead, as the Python menu does (see launcher.command
below); review writes the project's review page.
]]

local CONFIG_NAME = "stillmotion_resolve.ini"
local SEP = package.config:sub(1, 1)
local WINDOWS = SEP == "\\"

local launcher = {}

local function script_folder()
  local source = debug.getinfo(1, "S").source
  if source:sub(1, 1) == "@" then
    return source:sub(2):match("^(.*)[/\\][^/\\]*$")
  end
  return nil
end

-- Read the installer's ini: `key = value` lines under [stillmotion].
function launcher.read_config(folders)
  for _, folder in ipairs(folders) do
    local file = io.open(folder .. SEP .. CONFIG_NAME, "r")
    if file then
      local config = {}
      for line in file:lines() do
        local key, value = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
        if key then config[key] = value end
      end
      file:close()
      return config
    end
  end
  return nil
end

function launcher.quote(text)
  if WINDOWS then
    return '"' .. (text:gsub('"', '\\"')) .. '"'
  end
  return "'" .. (text:gsub("'", "'\\''")) .. "'"
end

-- Run argv with stdout and stderr into `log`; true when it exited 0.
function launcher.run(argv, log)
  local parts = {}
  for index, arg in ipairs(argv) do parts[index] = launcher.quote(arg) end
  local command = table.concat(parts, " ") .. " > " .. launcher.quote(log) .. " 2>&1"
  if WINDOWS then command = '"' .. command .. '"' end
  local first, _, code = os.execute(command)
  if type(first) == "number" then return first == 0 end -- Lua 5.1 / LuaJIT
  return first == true and (code == nil or code == 0)
end

local function exists(path)
  local file = io.open(path, "r")
  if file then file:close() end
  return file ~= nil
end

-- Pause without blocking Resolve: Fusion's bmd.wait where it exists, else a short busy wait.
local function pause(seconds)
  if bmd and bmd.wait then bmd.wait(seconds) return end
  local stop = os.clock() + seconds
  while os.clock() < stop do end
end

-- ExportCurrentFrameAsStill can return before the file is written: wait for it (bounded).
local function wait_for_file(path, seconds)
  for _ = 1, math.ceil(seconds / 0.1) do
    local file = io.open(path, "rb")
    if file then
      local size = file:seek("end")
      file:close()
      if size and size > 0 then return true end
    end
    pause(0.1)
  end
  return false
end

local function read_file(path)
  local file = io.open(path, "r")
  if not file then return "" end
  local text = file:read("*a")
  file:close()
  return text
end

-- The last "stillmotion: ..." line the command printed (its one-sentence error).
function launcher.last_error(log)
  local found
  for line in read_file(log):gmatch("[^\r\n]+") do
    if line:match("^stillmotion: ") then found = line:sub(14) end
  end
  return found or ("the stillmotion command failed; see " .. log)
end

local function safe(name)
  local cleaned = name:gsub("[^%w%._%-]+", "_")
  return cleaned ~= "" and cleaned or "untitled"
end

local function make_folder(path)
  if WINDOWS then
    os.execute('if not exist "' .. path .. '" mkdir "' .. path .. '"')
  else
    os.execute("mkdir -p " .. launcher.quote(path))
  end
end

-- The whole job on the Edit page (the editor's page is put back); returns (message,
-- new_timeline) or raises error("stillmotion: ...").
local function fail(text) error("stillmotion: " .. text, 0) end

function launcher.generate(resolve, answers, config)
  if not config or (config.cli or "") == "" then
    fail("not set up; run `python scripts/install_resolve_scripts.py` with the Python that has " ..
         "stillmotion, then try again.")
  end
  local manager = resolve:GetProjectManager()
  local project = manager and manager:GetCurrentProject()
  if not project then fail("no project is open in DaVinci Resolve; open one and try again.") end
  local timeline = project:GetCurrentTimeline()
  if not timeline then fail("the project has no current timeline; open one and try again.") end
  -- Resolve reports the playhead only on the Cut, Edit, Color and Deliver pages.
  local page = resolve:GetCurrentPage()
  if page ~= "edit" then resolve:OpenPage("edit") end
  local ok, message, imported = pcall(launcher.run_job, resolve, project, timeline, answers,
                                      config)
  if page and page ~= "edit" then resolve:OpenPage(page) end
  if not ok then error(message, 0) end
  return message, imported
end

function launcher.run_job(resolve, project, timeline, answers, config)
  local timecode = timeline:GetCurrentTimecode()
  if not timecode or timecode == "" then fail("Resolve did not report the playhead; try again.") end
  if not answers.prompt or answers.prompt:match("^%s*$") then
    fail("the prompt is empty; describe the shot and its camera move.")
  end

  local folder = config.media_dir .. SEP .. safe(project:GetName())
  make_folder(folder)
  local stamp = os.date("%Y%m%d-%H%M%S")
  local base = folder .. SEP .. safe(timeline:GetName()) .. "-" .. stamp
  local exported, result, log = base .. ".otio", base .. "-ai.otio", base .. ".log"
  if not timeline:Export(exported, resolve.EXPORT_OTIO) or not exists(exported) then
    fail("Resolve did not export the timeline as OTIO (Export returned false); check that " ..
         folder .. " is writable.")
  end
  local argv = {config.cli, "generate", exported, "--at", timecode, "--prompt", answers.prompt,
                "--for", "resolve", "-o", result, "--media-dir", folder}
  if (answers.seconds or "") ~= "" then
    table.insert(argv, "--seconds"); table.insert(argv, answers.seconds)
  end
  if (answers.provider or "") ~= "" then
    table.insert(argv, "--provider"); table.insert(argv, answers.provider)
  end
  launcher.run({config.cli, "generate", "--help"}, log)
  if read_file(log):find("--image", 1, true) then
    local still = base .. ".png"
    if not project:ExportCurrentFrameAsStill(still) then
      fail("Resolve did not export the viewer frame (ExportCurrentFrameAsStill returned false); " ..
           "try again.")
    end
    if not wait_for_file(still, 10) then
      fail("Resolve's still export " .. still .. " never appeared; check the folder is writable " ..
           "and try again.")
    end
    table.insert(argv, "--image"); table.insert(argv, still)
  end
  if not launcher.run(argv, log) then fail(launcher.last_error(log)) end

  local name = timeline:GetName() .. " + AI " .. stamp
  local media_pool = project:GetMediaPool()
  local imported = media_pool:ImportTimelineFromFile(result, {
    timelineName = name, importSourceClips = true,
  })
  timeline:SetCurrentTimecode(timecode)
  if not imported then
    fail("Resolve did not import " .. result .. " (ImportTimelineFromFile returned nothing); " ..
         "import it with File > Import > Timeline.")
  end
  return "the generated clip is on the 'AI Generated' track of the new timeline '" .. name ..
         "' at " .. timecode .. ".", imported
end

-- ---------------------------------------------------------------------------------------
-- Commands that place into the CURRENT timeline, as the Python menu does: batch on markers,
-- new take, extend, fill-gap (and review, which only writes a page). Each exports what the
-- command needs, runs it, asks the Python bridge (stillmotion.resolve.lua_bridge) which clips it
-- made and which track each goes on (the one track rule), then imports and places them with
-- Resolve calls, re-reading the track to prove each placement, and undoing a clip's edits when
-- a later step for it fails. The project is saved once at the end.
-- ---------------------------------------------------------------------------------------

local AI_BIN, CLIP_COLOR, MARKER_COLOR = "AI Generated", "Violet", "Purple"
local function is_ai(name) return name == "AI Generated" or name:match("^AI Generated %d+$") ~= nil end

local function lines_of(path)
  local found = {}
  for line in read_file(path):gmatch("[^\r\n]+") do table.insert(found, line) end
  return found
end

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, field) end
  return fields
end

-- Run the bridge with the recorded Python; its answer lines.
function launcher.bridge(config, args, base)
  if (config.python or "") == "" then fail("not set up; run the installer again.") end
  local out, log = base .. "-bridge.txt", base .. "-bridge.log"
  local argv = {config.python, "-m", "stillmotion.resolve.lua_bridge", args[1], "--out", out}
  for index = 2, #args do table.insert(argv, args[index]) end
  if not launcher.run(argv, log) then fail(launcher.last_error(log)) end
  return lines_of(out)
end

local function items_on(timeline, index)
  return timeline:GetItemListInTrack("video", index) or {}
end

local function path_of(item)
  local media = item:GetMediaPoolItem()
  return media and media:GetClipProperty("File Path") or ""
end

-- Undo steps of one clip's edits, newest last.
local function undo_all(steps)
  local refused = {}
  for index = #steps, 1, -1 do
    local ok, done = pcall(steps[index].undo)
    if not ok or not done then table.insert(refused, steps[index].what) end
  end
  return refused
end

-- The track for record frames [first, last) by the track rule; a new track is added on top.
local function choose_track(ctx, first, last)
  local timeline, views = ctx.timeline, {}
  local count = timeline:GetTrackCount("video")
  for index = 1, count do
    local busy = false
    for _, item in ipairs(items_on(timeline, index)) do
      local start = item:GetStart()
      if start < last and start + item:GetDuration() > first then busy = true end
    end
    local enabled = timeline:GetIsTrackEnabled("video", index) and true or false
    local locked = timeline:GetIsTrackLocked("video", index) and true or false
    local flags = (enabled and "1" or "0") .. (locked and "1" or "0") .. (busy and "1" or "0") ..
                  ((busy and enabled) and "1" or "0")
    table.insert(views, flags .. "|" .. (timeline:GetTrackName("video", index) or ""))
  end
  local args = {"track"}
  for _, view in ipairs(views) do table.insert(args, view) end
  local answer = split_tabs(launcher.bridge(ctx.config, args, ctx.base)[1] or "")
  if answer[1] == "reuse" then return tonumber(answer[2]) end
  if not timeline:AddTrack("video") or timeline:GetTrackCount("video") ~= count + 1 then
    fail("Resolve did not add a video track (AddTrack); add one by hand and try again.")
  end
  table.insert(ctx.steps, {what = "the new track V" .. (count + 1),
                           undo = function() return timeline:DeleteTrack("video", count + 1) end})
  if not timeline:SetTrackName("video", count + 1, answer[2]) then
    fail("Resolve did not name track V" .. (count + 1) .. " (SetTrackName); try again.")
  end
  return count + 1
end

-- AppendToTimeline, then prove it: the track gained one item, here, showing our file.
local function append(ctx, media, clip, index, record, last_source)
  local before = #items_on(ctx.timeline, index)
  local made = ctx.media_pool:AppendToTimeline({{mediaPoolItem = media, startFrame = clip.first,
    endFrame = last_source, trackIndex = index, recordFrame = record, mediaType = 1}})
  local placed
  for _, item in ipairs(items_on(ctx.timeline, index)) do
    if item:GetStart() == record and path_of(item) == clip.path then placed = item end
  end
  if not made or #made == 0 or not placed or #items_on(ctx.timeline, index) ~= before + 1 then
    fail("Resolve did not place " .. clip.path .. " on track V" .. index .. " (AppendToTimeline); " ..
         "it is in the '" .. AI_BIN .. "' bin: place it by hand.")
  end
  table.insert(ctx.steps, {what = "the clip on track V" .. index,
                           undo = function() return ctx.timeline:DeleteClips({placed}) end})
  return placed
end

local function place_new(ctx, media, clip, record)
  local index = choose_track(ctx, record, record + clip.frames)
  -- endFrame inclusive (frames - 1) as public tools pass it; one frame short means exclusive.
  local item = append(ctx, media, clip, index, record, clip.first + clip.frames - 1)
  if item:GetDuration() == clip.frames - 1 then
    local step = table.remove(ctx.steps)
    if not step.undo() then fail("Resolve did not remove " .. step.what .. "; remove it by hand.") end
    item = append(ctx, media, clip, index, record, clip.first + clip.frames)
  end
  if item:GetDuration() ~= clip.frames then
    fail("Resolve placed " .. item:GetDuration() .. " frames instead of " .. clip.frames ..
         " (AppendToTimeline); conform the clip again.")
  end
  return item, 0
end

-- A new take on the top-most generated item under the playhead.
local function place_take(ctx, media, clip, record)
  local timeline, target = ctx.timeline, nil
  for index = timeline:GetTrackCount("video"), 1, -1 do
    if not target and is_ai(timeline:GetTrackName("video", index) or "") and
       timeline:GetIsTrackEnabled("video", index) then
      for _, item in ipairs(items_on(timeline, index)) do
        local start = item:GetStart()
        if start <= ctx.playhead and ctx.playhead < start + item:GetDuration() then target = item end
      end
    end
  end
  if not target then
    fail("no generated clip is under the playhead to add a take to; park on an 'AI Generated' clip.")
  end
  local before = target:GetTakesCount() or 0
  local selected = before > 0 and target:GetSelectedTakeIndex() or 0
  if not target:AddTake(media, clip.first, clip.first + clip.frames - 1) then
    fail("Resolve did not add the take (AddTake); add it by hand from the '" .. AI_BIN .. "' bin.")
  end
  local index = math.max(before, 1) + 1
  table.insert(ctx.steps, {what = "take " .. index, undo = function()
    if before > 0 then
      return target:DeleteTakeByIndex(index) and target:SelectTakeByIndex(selected)
    end
    target:SelectTakeByIndex(1)
    return target:DeleteTakeByIndex(index) and target:GetSelectedTakeIndex() == 1 and
           target:FinalizeTake()
  end})
  if target:GetTakesCount() ~= index or not target:SelectTakeByIndex(index) or
     path_of(target) ~= clip.path then
    fail("Resolve did not show take " .. index .. " (SelectTakeByIndex); check the take selector.")
  end
  return target, math.min(index - 1, target:GetDuration() - 1)
end

local function tag(media, clip, ctx)
  local values = {job_id = clip.job_id, take = clip.take, take_group = clip.take_group,
                  prompt = clip.prompt, source_clip = clip.source_clip,
                  source_timeline = ctx.timeline:GetName()}
  local metadata = {}
  for key, value in pairs(values) do metadata["stillmotion." .. key] = value end
  if not media:SetThirdPartyMetadata(metadata) then
    fail("Resolve did not store the clip's provenance (SetThirdPartyMetadata); try again.")
  end
end

-- Import, place (or add a take), colour and mark one generated clip; undone if a step fails.
local function place_clip(ctx, clip)
  ctx.steps = {}
  local ok, message = pcall(function()
    local imported = ctx.media_pool:ImportMedia({clip.path})
    if not imported or not imported[1] then
      fail("Resolve did not import " .. clip.path .. " (ImportMedia); import it by hand.")
    end
    tag(imported[1], clip, ctx)
    local record = ctx.start + clip.record
    local item, marker = (ctx.take and place_take or place_new)(ctx, imported[1], clip, record)
    local colour = item:GetClipColor() or ""
    if not item:SetClipColor(CLIP_COLOR) then fail("Resolve did not colour the clip (SetClipColor); try again.") end
    table.insert(ctx.steps, {what = "the clip colour", undo = function()
      return colour == "" or item:SetClipColor(colour) end})
    if not item:AddMarker(marker, MARKER_COLOR, "stillmotion take " .. clip.take, clip.prompt, 1,
                          clip.job_id) then
      fail("Resolve did not add the job marker (AddMarker); try again.")
    end
  end)
  if ok then return nil end
  local refused = undo_all(ctx.steps)
  if #refused > 0 then
    message = message .. " Resolve refused to remove " .. table.concat(refused, ", ") ..
              ": remove it by hand."
  end
  return message
end

-- Switch the enabled "AI Generated" tracks off while the timeline is exported, so the command
-- reads the shots under them (as the Python viewer route does); returns the ones to switch on.
local function hide_ai_tracks(timeline)
  local hidden = {}
  for index = 1, timeline:GetTrackCount("video") do
    if is_ai(timeline:GetTrackName("video", index) or "") and
       timeline:GetIsTrackEnabled("video", index) then
      if not timeline:SetTrackEnable("video", index, false) then
        for _, done in ipairs(hidden) do timeline:SetTrackEnable("video", done, true) end
        fail("Resolve did not switch track V" .. index .. " off (SetTrackEnable); try again.")
      end
      table.insert(hidden, index)
    end
  end
  return hidden
end

local COMMANDS = {
  batch = function(a, exported) return {"batch", exported, "--from-markers"},
    (a.color or "") ~= "" and {"--color", a.color} or {} end,
  generate = function(a, exported, timecode) return {"generate", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
  take = function(a, exported, timecode) return {"generate", exported, "--at", timecode,
    "--prompt", a.prompt, "--new-take"}, {} end,
  extend = function(a, exported, timecode) return {"extend", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
  ["fill-gap"] = function(a, exported, timecode) return {"fill-gap", exported, "--at", timecode,
    "--prompt", a.prompt}, {} end,
}

-- Run `name` (generate, batch, take, extend, fill-gap, review) on the current timeline;
-- returns a message, or raises error("stillmotion: ...").
function launcher.command(resolve, name, answers, config)
  if not config or (config.cli or "") == "" then
    fail("not set up; run `python scripts/install_resolve_scripts.py` with the Python that has " ..
         "stillmotion, then try again.")
  end
  local project = resolve:GetProjectManager() and resolve:GetProjectManager():GetCurrentProject()
  if not project then fail("no project is open in DaVinci Resolve; open one and try again.") end
  local timeline = project:GetCurrentTimeline()
  if not timeline then fail("the project has no current timeline; open one and try again.") end
  local folder = config.media_dir .. SEP .. safe(project:GetName())
  make_folder(folder)
  local base = folder .. SEP .. safe(timeline:GetName()) .. "-" .. os.date("%Y%m%d-%H%M%S") ..
               "-" .. name
  local log = base .. ".log"
  if name == "review" then
    local page = folder .. SEP .. "review.html"
    if not launcher.run({config.cli, "review", "--media-dir", folder, "-o", page, "--overwrite"}, log) then
      fail(launcher.last_error(log))
    end
    return "the review page is " .. page .. "."
  end
  local build = COMMANDS[name]
  if not build then fail("unknown command '" .. tostring(name) .. "'.") end
  local page = resolve:GetCurrentPage()
  if page ~= "edit" then resolve:OpenPage("edit") end
  local ok, result = pcall(launcher.run_command, resolve, project, timeline, build, answers,
                           config, base, log, name)
  if page and page ~= "edit" then resolve:OpenPage(page) end
  if not ok then error(result, 0) end
  return result
end

function launcher.run_command(resolve, project, timeline, build, answers, config, base, log, name)
  local timecode = timeline:GetCurrentTimecode()
  if not timecode or timecode == "" then fail("Resolve did not report the playhead; try again.") end
  if name ~= "batch" and (answers.prompt or ""):match("^%s*$") then
    fail("the prompt is empty; describe the shot and its camera move.")
  end
  local exported, result = base .. ".otio", base .. "-ai.otio"
  local hidden = hide_ai_tracks(timeline)
  local called, written = pcall(timeline.Export, timeline, exported, resolve.EXPORT_OTIO)
  written = called and written
  for _, index in ipairs(hidden) do  -- switched back on whatever the export did
    if not timeline:SetTrackEnable("video", index, true) then
      fail("Resolve did not switch track V" .. index .. " back on (SetTrackEnable): switch it on by hand.")
    end
  end
  if not written or not exists(exported) then
    fail("Resolve did not export the timeline as OTIO (Export returned false); check the folder.")
  end
  local argv, extra = build(answers, exported, timecode)
  table.insert(argv, 1, config.cli)
  local seconds = name ~= "fill-gap" and answers.seconds or nil  -- fill-gap fits the gap
  for _, pair in ipairs({{"--seconds", seconds}, {"--provider", answers.provider}}) do
    if (pair[2] or "") ~= "" then table.insert(argv, pair[1]); table.insert(argv, pair[2]) end
  end
  for _, arg in ipairs(extra) do table.insert(argv, arg) end
  for _, arg in ipairs({"-o", result, "--media-dir", base:match("^(.*)[/\\]")}) do
    table.insert(argv, arg)
  end
  local ran = launcher.run(argv, log)
  if not exists(result) then fail(launcher.last_error(log)) end
  local media_pool = project:GetMediaPool()
  local ctx = {config = config, base = base, timeline = timeline, media_pool = media_pool,
               start = timeline:GetStartFrame(), take = name == "take",
               playhead = launcher.frames_of(timeline, timecode)}
  local bin = launcher.ai_bin(media_pool)
  local previous = media_pool:GetCurrentFolder()
  if not media_pool:SetCurrentFolder(bin) then fail("Resolve did not open the '" .. AI_BIN .. "' bin; try again.") end
  local placed, failures = 0, {}
  for _, line in ipairs(launcher.bridge(config, {"clips", result}, base)) do
    local f = split_tabs(line)
    local clip = {record = tonumber(f[1]), frames = tonumber(f[2]), first = tonumber(f[3]),
                  path = f[4], job_id = f[5], take = f[6], take_group = f[7], prompt = f[8],
                  source_clip = f[9] or ""}
    local problem = place_clip(ctx, clip)
    if problem then table.insert(failures, problem) else placed = placed + 1 end
  end
  if previous then media_pool:SetCurrentFolder(previous) end
  timeline:SetCurrentTimecode(timecode)
  if not ran then table.insert(failures, launcher.last_error(log)) end
  if placed > 0 and not resolve:GetProjectManager():SaveProject() then
    table.insert(failures, "Resolve did not save the project (SaveProject); save it by hand.")
  end
  if placed == 0 then fail(failures[1] or "the command made no clip.") end
  local text = placed .. " clip" .. (placed == 1 and "" or "s") .. " placed on the current timeline"
  if #failures > 0 then text = text .. "; not done: " .. table.concat(failures, " ") end
  return text .. "."
end

-- Frames from 00:00:00:00 of a timecode label on this timeline (';' marks drop frame).
function launcher.frames_of(timeline, timecode)
  local h, m, s, sep, f = timecode:match("^(%d+):(%d+):(%d+)([:;])(%d+)$")
  local rate = timeline:GetSetting("timelineFrameRate") or "24"
  local fps = math.floor(tonumber(rate:match("^[%d%.]+")) + 0.5)
  local frames = ((tonumber(h) * 60 + tonumber(m)) * 60 + tonumber(s)) * fps + tonumber(f)
  if sep == ";" then
    local minutes = tonumber(h) * 60 + tonumber(m)
    frames = frames - 2 * math.floor(fps / 30) * (minutes - math.floor(minutes / 10))
  end
  return frames
end

function launcher.ai_bin(media_pool)
  local root = media_pool:GetRootFolder()
  for _, folder in ipairs(root:GetSubFolderList() or {}) do
    if folder:GetName() == AI_BIN then return folder end
  end
  return media_pool:AddSubFolder(root, AI_BIN) or fail("Resolve did not create the '" .. AI_BIN ..
                                                        "' bin; create it by hand.")
end

-- The menu's commands as the dialog lists them: label -> command name ("generate" makes a new
-- timeline; the others place into the current one, "place" being generate at the playhead).
launcher.CHOICES = {
  {"Generate at playhead", "place"}, {"Generate at playhead into a new timeline", "generate"},
  {"Batch on markers", "batch"},
  {"New take of the clip under the playhead", "take"}, {"Extend the clip under the playhead", "extend"},
  {"Fill the gap under the playhead", "fill-gap"}, {"Review page of this project", "review"},
}

-- The dialog: command, prompt, seconds, provider, marker colour; nil when cancelled.
function launcher.ask(fu, bmd)
  local ui = fu.UIManager
  local dispatcher = bmd.UIDispatcher(ui)
  local window = dispatcher:AddWindow(
    {ID = "stillmotionLua", WindowTitle = "stillmotion",
     Geometry = {200, 160, 600, 320}},
    ui:VGroup{
      ui:HGroup{ui:Label{Text = "Command"}, ui:ComboBox{ID = "command"}},
      ui:Label{Text = "Prompt: framing, action, timing (camera move), lighting, audio " ..
                      "(batch: the markers' names and notes)"},
      ui:TextEdit{ID = "prompt"},
      ui:HGroup{
        ui:Label{Text = "Seconds"}, ui:LineEdit{ID = "seconds", PlaceholderText = "default"},
        ui:Label{Text = "Provider"}, ui:LineEdit{ID = "provider", PlaceholderText = "preview"},
        ui:Label{Text = "Markers"}, ui:LineEdit{ID = "color", PlaceholderText = "any colour"},
      },
      ui:Label{Text = "Resolve waits while the clips are generated."},
      ui:HGroup{ui:Button{ID = "generate", Text = "Run"},
                ui:Button{ID = "cancel", Text = "Cancel"}},
    })
  local answers
  local items = window:GetItems()
  for _, choice in ipairs(launcher.CHOICES) do items.command:AddItem(choice[1]) end
  window.On.generate.Clicked = function()
    local command = "generate"
    for _, choice in ipairs(launcher.CHOICES) do
      if choice[1] == items.command.CurrentText then command = choice[2] end
    end
    answers = {command = command, prompt = items.prompt.PlainText, seconds = items.seconds.Text,
               provider = items.provider.Text, color = items.color.Text}
    dispatcher:ExitLoop()
  end
  window.On.cancel.Clicked = function() dispatcher:ExitLoop() end
  window.On.stillmotionLua.Close = function() dispatcher:ExitLoop() end
  window:Show()
  dispatcher:RunLoop()
  window:Hide()
  return answers
end

-- One sentence in a small window (and in the Console).
function launcher.tell(fu, bmd, text)
  print(text)
  local ui = fu.UIManager
  local dispatcher = bmd.UIDispatcher(ui)
  local window = dispatcher:AddWindow(
    {ID = "stillmotionLuaMessage", WindowTitle = "stillmotion", Geometry = {260, 200, 480, 140}},
    ui:VGroup{ui:Label{Text = text, WordWrap = true}, ui:Button{ID = "ok", Text = "OK"}})
  window.On.ok.Clicked = function() dispatcher:ExitLoop() end
  window.On.stillmotionLuaMessage.Close = function() dispatcher:ExitLoop() end
  window:Show()
  dispatcher:RunLoop()
  window:Hide()
end

-- Where the installer puts this file, for Resolve builds whose chunks carry no file name.
function launcher.user_script_folders()
  local roots
  if WINDOWS then
    roots = {(os.getenv("APPDATA") or "") ..
             "\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts"}
  else
    local home = os.getenv("HOME") or ""
    roots = {home .. "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
             home .. "/.local/share/DaVinciResolve/Fusion/Scripts"}
  end
  local folders = {}
  for _, root in ipairs(roots) do
    table.insert(folders, root .. SEP .. "Utility")
    table.insert(folders, root .. SEP .. "Edit")
  end
  return folders
end

function launcher.main(env)
  local folders = launcher.user_script_folders()
  local here = script_folder()
  if here then table.insert(folders, 1, here) end
  local config = launcher.read_config(folders)
  local answers = launcher.ask(env.fu, env.bmd)
  if not answers then return end
  local ok, message
  if (answers.command or "generate") == "generate" then
    ok, message = pcall(launcher.generate, env.resolve, answers, config)
  else
    local name = answers.command == "place" and "generate" or answers.command
    ok, message = pcall(launcher.command, env.resolve, name, answers, config)
  end
  if ok then message = "stillmotion: " .. message end
  launcher.tell(env.fu, env.bmd, message)
end

if STILLMOTION_LAUNCHER_TEST then
  return launcher
end
launcher.main({resolve = resolve or Resolve(), fu = fu or fusion, bmd = bmd})
