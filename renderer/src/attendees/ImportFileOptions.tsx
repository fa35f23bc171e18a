import { IMPORT_PRESET_COLUMNS, IMPORT_PRESETS, type ImportEncoding, type ImportPreset } from '@gatehouse/protocol';
import type { ChangeEvent } from 'react';

/**
 * The import's first step: the CSV file, its format (a preset, or detected from the columns) and
 * its characters (detected, UTF-8 or Windows-1252). Disabled while a preview or the upload runs.
 */
export function ImportFileOptions({
  disabled,
  preset,
  encoding,
  onFile,
  onPreset,
  onEncoding,
}: {
  disabled: boolean;
  preset: ImportPreset | '';
  encoding: ImportEncoding;
  onFile: (input: ChangeEvent<HTMLInputElement>) => void;
  onPreset: (preset: ImportPreset | '') => void;
  onEncoding: (encoding: ImportEncoding) => void;
}) {
  return (
    <div className="import-options">
      <label>
        File
        <input type="file" accept=".csv,text/csv" disabled={disabled} onChange={onFile} />
      </label>
      <label>
        Format
        <select
          value={preset}
          disabled={disabled}
          onChange={(change) => onPreset(change.target.value as ImportPreset | '')}
        >
          <option value="">Detect from the columns</option>
          {IMPORT_PRESETS.map((name) => (
            <option key={name} value={name}>
              {IMPORT_PRESET_COLUMNS[name].label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Characters
        <select
          value={encoding}
          disabled={disabled}
          onChange={(change) => onEncoding(change.target.value as ImportEncoding)}
        >
          <option value="auto">Detect (UTF-8 or Windows)</option>
          <option value="utf-8">UTF-8</option>
          <option value="windows-1252">Windows (Excel)</option>
        </select>
      </label>
    </div>
  );
}
